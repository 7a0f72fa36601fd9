// Package traffic turns traffic weights into what carries them. Without a traffic router
// the carrier is the replica count: the canary's share of traffic is its share of ready
// pods behind a Service that selects both revisions.
package traffic

import "math"

// ReplicaSplit is the replica counts that carry a weight without a router.
type ReplicaSplit struct {
	// Canary pods wanted.
	Canary int32
	// Stable pods wanted.
	Stable int32
}

// Observed is what the two revisions have now.
type Observed struct {
	// CanaryReplicas is the canary's current spec.replicas.
	CanaryReplicas int32
	// CanaryAvailable and StableAvailable are available pods.
	CanaryAvailable int32
	StableAvailable int32
}

// SplitReplicas computes the replica counts for a canary at weight percent of replicas.
//
// The canary is asked for canary pods (normally CeilPercent(weight, replicas); a
// setCanaryScale step may ask for another number) and the stable revision for
// replicas - CeilPercent(weight, replicas), with two guards:
//   - the stable revision keeps at least one pod while replicas > 0, so the stable Service
//     always has an endpoint;
//   - available pods never drop below replicas - maxUnavailable: a revision is only scaled
//     down by as many pods as the other one already has available beyond its own ask.
func SplitReplicas(weight, replicas, canary, maxUnavailable int32, obs Observed) ReplicaSplit {
	byWeight := CeilPercent(weight, replicas)
	stable := max(replicas-byWeight, 0)
	if stable < 1 && replicas >= 1 {
		stable = 1
	}
	floor := replicas - maxUnavailable
	if f := min(floor-min(obs.CanaryAvailable, canary), replicas); f > stable {
		stable = f
	}
	if obs.CanaryReplicas > canary {
		// The canary shrinks only as the stable revision's pods become available.
		if f := min(floor-min(obs.StableAvailable, stable), obs.CanaryReplicas); f > canary {
			canary = f
		}
	}
	return ReplicaSplit{Canary: canary, Stable: stable}
}

// CeilPercent is ceil(percent% of n).
func CeilPercent(percent, n int32) int32 {
	return int32(math.Ceil(float64(percent) * float64(n) / 100))
}

// Weight is the share, in percent, that part has of total (rounded to the nearest).
func Weight(part, total int32) int32 {
	if total <= 0 {
		return 0
	}
	return int32(math.Round(float64(part) * 100 / float64(total)))
}
