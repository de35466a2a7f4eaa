"""Figure makers: one function per book figure; each takes data and returns a matplotlib Figure."""
