"""A worked answer to exercise 1.8 (tests only; never published)."""


def matmul_gflops(n, k, p, seconds):
    # n*p entries, each k multiplications and k additions (the running sum starts at 0)
    return 2 * n * k * p / seconds / 1e9
