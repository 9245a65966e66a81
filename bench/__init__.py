"""Benchmarks: each figure beside an anchor measured in the same run, so ratios hold on a noisy machine."""
