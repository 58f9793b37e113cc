"""GNN pre-training and transfer on molecules (work in progress: the components are declared as
they land)."""
