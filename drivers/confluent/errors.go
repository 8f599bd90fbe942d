package confluent

import (
	"context"
	"errors"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/kbench/kbench/drivers"
)

// wrap gives err its kind, so results compare across drivers.
func wrap(err error) error {
	return &drivers.Error{Kind: kind(err), Err: err}
}

func kind(err error) string {
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, errClosed):
		return drivers.KindCanceled
	case errors.Is(err, context.DeadlineExceeded):
		return drivers.KindTimeout
	}
	var kerr kafka.Error
	if !errors.As(err, &kerr) {
		return drivers.KindOther
	}
	switch kerr.Code() {
	case kafka.ErrMsgTimedOut, kafka.ErrTimedOut, kafka.ErrRequestTimedOut, kafka.ErrTimedOutQueue:
		return drivers.KindTimeout
	case kafka.ErrNotEnoughReplicas, kafka.ErrNotEnoughReplicasAfterAppend:
		return drivers.KindNotEnoughReplicas
	case kafka.ErrNotLeaderForPartition, kafka.ErrLeaderNotAvailable, kafka.ErrFencedLeaderEpoch:
		return drivers.KindNotLeader
	case kafka.ErrMsgSizeTooLarge, kafka.ErrRecordListTooLarge:
		return drivers.KindTooLarge
	case kafka.ErrAuthentication, kafka.ErrSaslAuthenticationFailed,
		kafka.ErrTopicAuthorizationFailed, kafka.ErrClusterAuthorizationFailed:
		return drivers.KindAuth
	case kafka.ErrTransport, kafka.ErrAllBrokersDown, kafka.ErrNetworkException:
		return drivers.KindNetwork
	case kafka.ErrPurgeQueue, kafka.ErrPurgeInflight, kafka.ErrDestroy:
		return drivers.KindCanceled // purged by Close
	}
	return drivers.KindOther
}
