package plan

// blueGreen plans the blue-green strategy.
func (p *planner) blueGreen() {
	if p.first() || p.updated == p.stable {
		p.steady()
		return
	}
	p.steady()
}
