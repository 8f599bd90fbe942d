package franz

import (
	"context"
	"errors"
	"io"
	"net"
	"syscall"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kbench/kbench/drivers"
)

// wrap gives err its kind, so results compare across drivers.
func wrap(err error) error {
	return &drivers.Error{Kind: kind(err), Err: err}
}

func kind(err error) string {
	is := func(targets ...error) bool {
		for _, t := range targets {
			if errors.Is(err, t) {
				return true
			}
		}
		return false
	}
	var netErr net.Error
	switch {
	case is(context.Canceled, kgo.ErrClientClosed):
		return drivers.KindCanceled
	case is(context.DeadlineExceeded, kgo.ErrRecordTimeout, kerr.RequestTimedOut):
		return drivers.KindTimeout
	case is(kerr.NotEnoughReplicas, kerr.NotEnoughReplicasAfterAppend):
		return drivers.KindNotEnoughReplicas
	case is(kerr.NotLeaderForPartition, kerr.LeaderNotAvailable, kerr.FencedLeaderEpoch,
		kerr.UnknownLeaderEpoch, kerr.ReplicaNotAvailable, kerr.BrokerNotAvailable):
		return drivers.KindNotLeader
	case is(kerr.MessageTooLarge, kerr.RecordListTooLarge):
		return drivers.KindTooLarge
	case is(kerr.SaslAuthenticationFailed, kerr.TopicAuthorizationFailed,
		kerr.ClusterAuthorizationFailed, kerr.IllegalSaslState, kerr.UnsupportedSaslMechanism):
		return drivers.KindAuth
	case is(kerr.NetworkException, io.EOF, io.ErrUnexpectedEOF, net.ErrClosed,
		syscall.ECONNREFUSED, syscall.ECONNRESET, syscall.EPIPE), errors.As(err, &netErr):
		return drivers.KindNetwork
	}
	return drivers.KindOther
}
