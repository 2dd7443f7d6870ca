"""The differentiable ops, one module per family; fastnn.functional gathers them."""
