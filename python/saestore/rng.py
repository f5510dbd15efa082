"""The Swift loader's random numbers, bit for bit: xoshiro256** seeded through SplitMix64
(Sources/StreamTrain/Support/SeededGenerator.swift) and Lemire's bounded draw."""

MASK = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15


def splitmix64(state: int):
    """(new state, output) of one SplitMix64 step."""
    state = (state + GOLDEN) & MASK
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return state, z ^ (z >> 31)


class SeededGenerator:
    """xoshiro256** (Blackman & Vigna); the state is four 64-bit words."""

    def __init__(self, seed: int):
        state, words = seed & MASK, []
        for _ in range(4):
            state, out = splitmix64(state)
            words.append(out)
        self.state = words

    @classmethod
    def from_state(cls, words) -> "SeededGenerator":
        """A generator continuing from saved state words (a loader position's `rng`)."""
        words = [int(w) for w in words]
        if len(words) != 4 or not all(0 <= w <= MASK for w in words) or not any(words):
            raise ValueError(f"a generator state is four 64-bit words, not all zero; got {words}")
        generator = cls.__new__(cls)
        generator.state = words
        return generator

    def next(self) -> int:
        s0, s1, s2, s3 = self.state
        x = (s1 * 5) & MASK
        result = ((((x << 7) | (x >> 57)) & MASK) * 9) & MASK
        t = (s1 << 17) & MASK
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = ((s3 << 45) | (s3 >> 19)) & MASK
        self.state = [s0, s1, s2, s3]
        return result

    def next_index(self, bound: int) -> int:
        """Uniform in 0..<bound: multiply-shift with rejection (the Swift loop, written out)."""
        product = self.next() * bound
        if (product & MASK) < bound:
            threshold = ((1 << 64) - bound) % bound
            while (product & MASK) < threshold:
                product = self.next() * bound
        return product >> 64

    def indices(self, count: int, bound: int) -> list:
        """`count` draws of next_index(bound), inlined: the loader's hot loop."""
        s0, s1, s2, s3 = self.state
        out = [0] * count
        threshold = ((1 << 64) - bound) % bound
        for k in range(count):
            while True:
                x = (s1 * 5) & MASK
                r = ((((x << 7) | (x >> 57)) & MASK) * 9) & MASK
                t = (s1 << 17) & MASK
                s2 ^= s0
                s3 ^= s1
                s1 ^= s2
                s0 ^= s3
                s2 ^= t
                s3 = ((s3 << 45) | (s3 >> 19)) & MASK
                product = r * bound
                if (product & MASK) >= threshold:
                    break
            out[k] = product >> 64
        self.state = [s0, s1, s2, s3]
        return out
