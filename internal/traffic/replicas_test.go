package traffic

import (
	"fmt"
	"testing"
)

func TestSplitReplicas(t *testing.T) {
	cases := []struct {
		weight, replicas, maxUnavailable int32
		obs                              Observed
		want                             ReplicaSplit
	}{
		{weight: 0, replicas: 4, want: ReplicaSplit{Canary: 0, Stable: 4}},
		{weight: 25, replicas: 4, obs: Observed{CanaryAvailable: 0}, want: ReplicaSplit{Canary: 1, Stable: 4}},
		{weight: 25, replicas: 4, obs: Observed{CanaryAvailable: 1}, want: ReplicaSplit{Canary: 1, Stable: 3}},
		{weight: 50, replicas: 2, obs: Observed{CanaryAvailable: 1}, want: ReplicaSplit{Canary: 1, Stable: 1}},
		{weight: 70, replicas: 2, obs: Observed{CanaryAvailable: 2}, want: ReplicaSplit{Canary: 2, Stable: 1}},
		{weight: 100, replicas: 3, obs: Observed{CanaryAvailable: 3}, want: ReplicaSplit{Canary: 3, Stable: 1}},
		{weight: 1, replicas: 10, obs: Observed{CanaryAvailable: 1}, want: ReplicaSplit{Canary: 1, Stable: 9}},
		{weight: 33, replicas: 3, obs: Observed{CanaryAvailable: 1}, want: ReplicaSplit{Canary: 1, Stable: 2}},
		{weight: 99, replicas: 10, obs: Observed{CanaryAvailable: 10}, want: ReplicaSplit{Canary: 10, Stable: 1}},
		{weight: 50, replicas: 10, maxUnavailable: 2, want: ReplicaSplit{Canary: 5, Stable: 8}},
		// Going back down: the canary keeps pods until the stable revision has them back.
		{weight: 25, replicas: 4, obs: Observed{CanaryReplicas: 2, CanaryAvailable: 2, StableAvailable: 2}, want: ReplicaSplit{Canary: 2, Stable: 3}},
		{weight: 25, replicas: 4, obs: Observed{CanaryReplicas: 2, CanaryAvailable: 2, StableAvailable: 3}, want: ReplicaSplit{Canary: 1, Stable: 3}},
		{weight: 0, replicas: 0, want: ReplicaSplit{Canary: 0, Stable: 0}},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("w%d/r%d/mu%d/%+v", tc.weight, tc.replicas, tc.maxUnavailable, tc.obs), func(t *testing.T) {
			got := SplitReplicas(tc.weight, tc.replicas, CeilPercent(tc.weight, tc.replicas), tc.maxUnavailable, tc.obs)
			if got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestWeight(t *testing.T) {
	for _, tc := range []struct{ part, total, want int32 }{{1, 4, 25}, {1, 3, 33}, {2, 3, 67}, {0, 0, 0}, {5, 5, 100}} {
		if got := Weight(tc.part, tc.total); got != tc.want {
			t.Errorf("Weight(%d, %d) = %d, want %d", tc.part, tc.total, got, tc.want)
		}
	}
}

func BenchmarkSplitReplicas(b *testing.B) {
	obs := Observed{CanaryReplicas: 3, CanaryAvailable: 2, StableAvailable: 7}
	for i := 0; i < b.N; i++ {
		_ = SplitReplicas(int32(i%101), 10, CeilPercent(int32(i%101), 10), 0, obs)
	}
}
