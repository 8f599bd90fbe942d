package workload

import (
	"strings"
	"testing"
	"time"
)

func TestTransactionFields(t *testing.T) {
	cases := []struct {
		sets []string // key=value, as --set takes them
		want string   // a problem Resolve must report; "" for none
	}{
		{[]string{"useTransactions=true"}, ""},                                                 // size defaults
		{[]string{"useTransactions=true", "transactionInterval=100ms"}, ""},                    // interval alone
		{[]string{"useTransactions=true", "transactionSize=10", "transactionInterval=1s"}, ""}, // whichever ends first
		{[]string{"transactionSize=10"}, "transactionSize: sizes transactions"},                // without transactions
		{[]string{"transactionInterval=1s"}, "transactionInterval: sizes transactions"},        // likewise
		{[]string{"useTransactions=true", "transactionSize=0"}, "transactionSize: must be at least 1"},
		{[]string{"useTransactions=true", "transactionInterval=-1s"}, "transactionInterval: must not be negative"},
		{[]string{"useTransactions=true", "acks=1"}, "producer.acks: transactions require acks=all"},
		{[]string{"useTransactions=true", "enable.idempotence=false"}, "producer.enable.idempotence: transactions require idempotence"},
		{[]string{"useTransactions=true", "isolation.level=dirty"}, "consumer.isolation.level: must be read_committed"},
		{[]string{"useTransactions=true", "producersPerTopic=0", "subscriptionsPerTopic=1"}, "useTransactions: transactions need producers"},
		{[]string{"useTransactions=true", "transformsPerTopic=2"}, ""},                                                                              // a transform stage
		{[]string{"transformsPerTopic=1"}, "transformsPerTopic: transformers commit what they read in transactions"},                                // without transactions
		{[]string{"useTransactions=true", "transformsPerTopic=-1"}, "transformsPerTopic: must not be negative"},                                     // nonsense
		{[]string{"useTransactions=true", "transformsPerTopic=1", "existingTopics=[a]"}, "transformsPerTopic: transformers write to output topics"}, // nowhere to write
		{[]string{"useTransactions=true", "transformsPerTopic=1", "consumerBacklogSizeGB=1"}, "transformsPerTopic: a backlog run"},                  // not built
	}
	for _, c := range cases {
		w := &Workload{Duration: Duration(time.Second)}
		for _, kv := range c.sets {
			k, v, _ := strings.Cut(kv, "=")
			if err := w.Set(k, v); err != nil {
				t.Fatalf("%v: Set(%s): %v", c.sets, kv, err)
			}
		}
		err := w.Resolve()
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%v: %v", c.sets, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%v: error %v, want one containing %q", c.sets, err, c.want)
		}
	}
	w := &Workload{Duration: Duration(time.Second), UseTransactions: true}
	if err := w.Resolve(); err != nil || w.TransactionSize != defaultTransactionSize {
		t.Errorf("default transaction size %d (%v), want %d", w.TransactionSize, err, defaultTransactionSize)
	}
}
