"""The loader's draws, vectorised: the same numbers as `rng.SeededGenerator` (the Swift
generator), many lanes at a time.

xoshiro256**'s state transition is linear over GF(2), so the state k steps ahead is a
256×256 bit matrix times the state. Lanes start K outputs apart (T^K by repeated squaring,
applied as XORs of its columns) and step together in numpy; lane j's K outputs are outputs jK … jK+K−1. Bounded
draws are Lemire's multiply-shift with rejection, element-wise. `rng.SeededGenerator` is the
plain reference the tests hold this to.
"""
import numpy as np

from .rng import MASK, SeededGenerator

_U = np.uint64


def _step_words(s0, s1, s2, s3):
    t = (s1 << 17) & MASK
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = ((s3 << 45) | (s3 >> 19)) & MASK
    return s0, s1, s2, s3


def _transition_columns() -> np.ndarray:
    """T as (256, 4) uint64: row b is the step applied to the state with only bit b set."""
    columns = []
    for b in range(256):
        words = [0, 0, 0, 0]
        words[b // 64] = 1 << (b % 64)
        columns.append(_step_words(*words))
    return np.array(columns, dtype=np.uint64)


def _apply(columns: np.ndarray, states: np.ndarray) -> np.ndarray:
    """M · states over GF(2): the XOR of M's columns at every set bit. states: (4, L) words.
    (XORs, not a float matrix product: exact, and no BLAS threads on a shared machine.)"""
    L = states.shape[1]
    out = np.empty_like(states)
    for lo in range(0, L, 1024):  # bounded scratch: 256 × 4 × 1024 words = 8 MiB
        part = np.ascontiguousarray(states[:, lo: lo + 1024])
        bits = np.unpackbits(part.astype("<u8").view(np.uint8).reshape(4, -1, 8), axis=2, bitorder="little")
        bits = bits.transpose(0, 2, 1).reshape(256, -1).astype(bool)  # bit 64w + i of each lane
        picked = np.where(bits[:, None, :], columns[:, :, None], _U(0))
        out[:, lo: lo + 1024] = np.bitwise_xor.reduce(picked, axis=0)
    return out


_POWERS = {}


def _power(k: int) -> np.ndarray:
    """T^(2^k) as columns, by repeated squaring."""
    if k not in _POWERS:
        if k == 0:
            _POWERS[0] = _transition_columns()
        else:
            half = _power(k - 1)
            _POWERS[k] = np.ascontiguousarray(_apply(half, np.ascontiguousarray(half.T)).T)
    return _POWERS[k]


def advanced(state, steps: int) -> list:
    """The generator's state after `steps` more outputs: T^steps · state, one jump of T^(2^k)
    per set bit of `steps` (so a resumed loader need not replay its draws)."""
    s = np.array(state, dtype=np.uint64)[:, None]
    k = 0
    while steps:
        if steps & 1:
            s = _apply(_power(k), s)
        steps >>= 1
        k += 1
    return [int(w) for w in s[:, 0]]


class OutputStream:
    """The generator's raw 64-bit outputs, produced in vectorised blocks, read in order."""

    def __init__(self, state):
        self._origin = [int(w) for w in state]  # the state before the first output
        self._consumed = 0  # outputs read since `_origin`
        self._state = np.array(state, dtype=np.uint64)  # the state before the next block
        self._block = np.empty(0, dtype=np.uint64)
        self._offset = 0

    def state(self) -> list:
        """The generator's state after the outputs read so far (blocks generated ahead do not
        count): what `SeededGenerator` would hold had it made the same draws."""
        if self._consumed:
            self._origin, self._consumed = advanced(self._origin, self._consumed), 0
        return list(self._origin)

    def _generate(self, n: int):
        # Few steps over many lanes: a numpy op costs microseconds whatever its length, and
        # the lanes' start states cost one f32 matrix product per doubling.
        log_k = 4 if n < 4096 else 8
        K = 1 << log_k
        L = -(-n // K)
        starts = self._state[:, None].copy()
        level = log_k
        with np.errstate(over="ignore"):
            while starts.shape[1] < L:  # double the lanes: the new ones start len·K outputs on
                starts = np.concatenate([starts, _apply(_power(level), starts)], axis=1)
                level += 1
        s0, s1, s2, s3 = (np.ascontiguousarray(w) for w in starts[:, :L])
        out = np.empty((K, L), dtype=np.uint64)
        with np.errstate(over="ignore"):
            for k in range(K):
                x = s1 * _U(5)
                out[k] = ((x << _U(7)) | (x >> _U(57))) * _U(9)
                t = s1 << _U(17)
                s2 = s2 ^ s0
                s3 = s3 ^ s1
                s1 = s1 ^ s2
                s0 = s0 ^ s3
                s2 = s2 ^ t
                s3 = (s3 << _U(45)) | (s3 >> _U(19))
        # The state after all L·K outputs is the last lane's after its K steps.
        self._state = np.array([s0[-1], s1[-1], s2[-1], s3[-1]], dtype=np.uint64)
        return out.T.reshape(-1)

    def peek(self, n: int) -> np.ndarray:
        if self._offset + n > len(self._block):
            rest = self._block[self._offset:]
            self._block = np.concatenate([rest, self._generate(max(n - len(rest), 1 << 18))])
            self._offset = 0
        return self._block[self._offset: self._offset + n]

    def consume(self, n: int):
        self._offset += n
        self._consumed += n


def bounded(outputs: np.ndarray, bounds: np.ndarray):
    """Lemire's draw of each output against its bound (< 2^32): (value, accepted)."""
    r = outputs.astype(np.uint64)
    b = bounds.astype(np.uint64)
    with np.errstate(over="ignore"):
        low = r * b
        mid = (r >> _U(32)) * b + (((r & _U(0xFFFFFFFF)) * b) >> _U(32))
        threshold = (_U(0) - b) % b
    return (mid >> _U(32)).astype(np.int64), low >= threshold


class FastGenerator:
    """Draws of `SeededGenerator.next_index`, vectorised over a sequence of bounds."""

    def __init__(self, generator: SeededGenerator):
        """Continues `generator`'s sequence from its current state."""
        self.outputs = OutputStream(generator.state)

    def state(self) -> list:
        """The four state words after the draws made so far (`SeededGenerator.state`)."""
        return self.outputs.state()

    def draw(self, bounds) -> np.ndarray:
        bounds = np.asarray(bounds, dtype=np.int64)
        if bounds.size and (bounds.min() < 1 or bounds.max() >= 1 << 32):
            raise ValueError("bounds must be 1 ..< 2^32")
        out = np.empty(len(bounds), dtype=np.int64)
        done = 0
        while done < len(bounds):
            values, accepted = bounded(self.outputs.peek(len(bounds) - done), bounds[done:])
            if accepted.all():
                out[done:] = values
                self.outputs.consume(len(bounds) - done)
                return out
            i = int(np.argmin(accepted))  # a rejected output: that draw takes the next output
            out[done: done + i] = values[:i]
            self.outputs.consume(i + 1)
            done += i
        return out
