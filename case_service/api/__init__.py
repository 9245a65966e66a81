"""`/api/v1`: thin routes over the case service's operations; one error body shape for every failure."""
