package plan

// rolling plans the rolling strategy.
func (p *planner) rolling() {
	if p.first() || p.updated == p.stable {
		p.steady()
		return
	}
	p.steady()
}
