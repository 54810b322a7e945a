"""The QR symbol segno draws, with its data mask chosen in a fraction of segno's time.

A QR encoder tries all eight data masks and keeps the one whose symbol scores the lowest
penalty (ISO/IEC 18004:2015, 7.8.3: runs of one colour, 2×2 blocks, finder-like patterns, the
dark share). segno scores each mask module by module in Python: ~5.5 of the ~10 ms a PIX code
took, and the outbox draws one per agreement. Here segno encodes the payload's data
codewords; their error correction codewords come from a table per generator polynomial
(`_error_codewords`), the bits are placed with mask 0 by one precomputed
permutation per symbol size, and the other seven candidates are derived from that symbol:
the data modules flip where mask 0 and mask k differ. Each candidate is one big integer, a
byte per module and a separator byte after each row, so masking is one XOR and the penalties
are C-level operations on it (shifted XORs and bit counts for runs, blocks and dark modules,
a byte search for the finder-like pattern) instead of a Python loop per module.

The result is the symbol `segno.make` itself draws: the same rules, the same order, the same
tie-break (tests/bot/payments/test_qr_masks.py compares every module on random payloads).
The layout of a symbol (which modules carry data, which are reserved for format and version
information) comes from segno's encoder, so the two cannot disagree about it.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import zip_longest
from typing import Any, cast

from segno import consts, encoder

__all__ = ["qr_modules"]

_MASKS = 8
_SEPARATOR = 2  # after each row: neither a light (0) nor a dark (1) module
_FINDER_LIKE = b"\x01\x00\x01\x01\x01\x00\x01"  # 1:1:3:1:1
_N1, _N2, _N3, _N4 = 3, 3, 40, 10
_UNSET = 2  # segno's value for a module nothing has been placed in yet
_ASCII_DIGIT = bytes(b"01"[bit] if bit < 2 else bit for bit in range(256))  # 0/1 → "0"/"1"
_BIT_OF_DIGIT = bytes(byte - 0x30 if byte in b"01" else byte for byte in range(256))


@dataclass(frozen=True, slots=True)
class _Layout:
    """What depends only on the symbol's width; computed once per version: where the bit
    stream goes, and what the mask scoring needs."""

    width: int
    keep: int  # 0x00 on the format/version modules (blank while masks are scored), else 0xFF
    # (the `*_columns` fields: the same, with the symbol transposed)
    keep_columns: int
    flips: tuple[int, ...]  # per mask: 0x01 on data modules where mask 0 and the mask differ
    flips_columns: tuple[int, ...]
    block_corners: int  # 0x01 where a 2×2 block's lower right corner can be (rows ≥ 1, cols ≥ 1)
    ones: int  # 0x01 on every module
    ones_with_separators: int  # 0x01 on every byte
    comparable: int  # 0x01 on every byte that has a byte before it
    template: bytes  # row by row: function patterns, timing, reserved regions; data blank
    # Picks each module of the symbol from `template + bit stream`: a data module's bit in
    # the order segno places them (7.7.3's zigzag), any other module from the template.
    gather: Callable[[bytes], tuple[int, ...]]
    data_modules: int  # how many bits `gather` takes after the template
    mask_0: int  # 0x01 on the data modules mask 0 flips, as one integer of the whole symbol


def qr_modules(payload: str, error: str) -> tuple[bytes, ...]:
    """The rows of `segno.make(payload, error=error, micro=False, boost_error=False)`, one
    byte per module (1 dark, 0 light), border not included."""
    first = _masked_with_0(payload, error)
    rows = first.matrix
    layout = _layout(len(rows))
    base = _joined(rows, _SEPARATOR) & layout.keep
    base_columns = _joined(tuple(zip(*rows, strict=True)), _SEPARATOR) & layout.keep_columns
    scores = [
        _penalty(base ^ layout.flips[mask], base_columns ^ layout.flips_columns[mask], layout)
        for mask in range(_MASKS)
    ]
    best = scores.index(min(scores))  # the first of equals, as segno does
    if best == 0:
        return tuple(bytes(row) for row in rows)
    return _finished(base ^ layout.flips[best], layout, first, best)


@dataclass(frozen=True, slots=True)
class _Symbol:
    """What `segno.make(..., mask=0)` returns and `qr_modules` reads of it."""

    matrix: tuple[bytearray, ...]
    version: int
    error: int


def _masked_with_0(payload: str, error: str) -> _Symbol:
    """`segno.make(payload, error=error, micro=False, boost_error=False, mask=0)`, module for
    module: segno encodes the payload into its data codewords (`segno.encoder._encode`'s
    steps for one QR symbol), the error correction is added here, and the bits are placed
    and masked here with one permutation and one XOR from the symbol size's `_Layout`. segno's
    own placement and masking visit every module in Python: 29 % of a PIX code's
    instructions, PNG included (33.5 → 23.8 million under callgrind)."""
    level = encoder.normalize_errorlevel(error)
    segments = encoder.prepare_data(payload, None, None)
    version = encoder.find_version(segments, level, eci=False, micro=False)
    capacities = cast("dict[int, dict[int, int]]", consts.SYMBOL_CAPACITY)  # untyped literal
    capacity = capacities[version][level]
    bits = encoder.Buffer()
    for segment in segments:
        encoder.write_segment(bits, segment, None, encoder.version_range(version), False)
    encoder.write_terminator(bits, capacity, None, len(bits))
    encoder.write_padding_bits(bits, version, len(bits))
    encoder.write_pad_codewords(bits, version, capacity, len(bits))
    layout = _layout(encoder.calc_matrix_size(version))
    width = layout.width
    message = _final_message(version, level, _codewords(bits.getbits()))
    remainder_bits = bytes(layout.data_modules - len(message))
    placed = layout.gather(layout.template + message + remainder_bits)
    masked = (int.from_bytes(bytes(placed), "big") ^ layout.mask_0).to_bytes(width * width, "big")
    matrix = tuple(
        bytearray(masked[start : start + width]) for start in range(0, width * width, width)
    )
    encoder.add_format_info(matrix, version, level, 0)
    encoder.add_version_info(matrix, version)
    return _Symbol(matrix, version, level)


def _codewords(bits: bytearray) -> bytes:
    """segno's bit buffer (a byte per bit, a whole number of codewords) as codewords."""
    return int(bits.translate(_ASCII_DIGIT), 2).to_bytes(len(bits) // 8, "big")


def _final_message(version: int, level: int, data: bytes) -> bytes:
    """The data codewords split into blocks, each block's error correction codewords, and
    both interleaved (ISO/IEC 18004:2015, 7.5.2 and 7.6), a byte per bit, without the
    remainder bits: segno's `make_final_message` for a QR symbol. Its Reed-Solomon division
    runs a loop per codeword and error codeword in Python (a third of a PIX code's symbol);
    here it is one table lookup and XOR per codeword, on integers."""
    ecc = cast("dict[int, dict[int, tuple[Any, ...]]]", consts.ECC)  # untyped literal
    data_blocks: list[bytes] = []
    error_blocks: list[bytes] = []
    start = 0
    for group in ecc[version][level]:
        error_words = group.num_total - group.num_data
        for _ in range(group.num_blocks):
            block = data[start : start + group.num_data]
            start += group.num_data
            data_blocks.append(block)
            error_blocks.append(_error_codewords(block, error_words))
    codewords = _interleaved(data_blocks) + _interleaved(error_blocks)
    bits = format(int.from_bytes(codewords, "big"), f"0{8 * len(codewords)}b")
    return bits.encode().translate(_BIT_OF_DIGIT)


def _interleaved(blocks: list[bytes]) -> bytes:
    """The first codeword of every block, then the second of every block, and so on."""
    return bytes(word for column in zip_longest(*blocks) for word in column if word is not None)


def _error_codewords(block: bytes, count: int) -> bytes:
    """The remainder of the block's polynomial divided by the generator of `count` error
    codewords, over GF(256): a shift register that takes a codeword at a time."""
    times_generator = _times_generator(count)
    top = 8 * (count - 1)
    keep = (1 << (8 * count)) - 1
    remainder = 0
    for word in block:
        remainder = ((remainder << 8) & keep) ^ times_generator[word ^ (remainder >> top)]
    return remainder.to_bytes(count, "big")


@functools.lru_cache(maxsize=40)
def _times_generator(count: int) -> tuple[int, ...]:
    """For each factor 0..255: the generator polynomial of `count` error codewords (without
    its leading 1) times the factor, its coefficients as one integer of `count` bytes."""
    generator = consts.GEN_POLY[count]  # as exponents
    log, exp = cast("tuple[int, ...]", consts.GALIOS_LOG), consts.GALIOS_EXP
    products = [0]
    for factor in range(1, 256):
        coefficients = bytes(exp[log[factor] + power] for power in generator)
        products.append(int.from_bytes(coefficients, "big"))
    return tuple(products)


def _placement_order(matrix: list[bytearray], width: int) -> list[int]:
    """For each module, row by row, where `_Layout.gather` takes it from: itself in the
    template, or (a data module) its bit's place in the stream after the template. segno's
    `add_codewords` for a QR (not Micro QR) symbol: two-module columns from the right,
    alternately upwards and downwards, skipping the vertical timing column."""
    source = list(range(width * width))
    placed = 0
    for pair_right in range(width - 1, 0, -2):
        right = pair_right - 1 if pair_right <= 6 else pair_right
        for vertical in range(width):
            for z in range(2):
                j = right - z
                upwards = (right & 2) == 0
                upwards ^= j < 6
                i = (width - 1 - vertical) if upwards else vertical
                if matrix[i][j] == _UNSET:
                    source[i * width + j] = width * width + placed
                    placed += 1
    return source


def _joined(rows: Iterable[bytes | bytearray | tuple[int, ...]], separator: int) -> int:
    """The rows as one integer, a byte per module and `separator` after each row."""
    end = bytes([separator])
    return int.from_bytes(b"".join(bytes(row) + end for row in rows), "big")


def _split(modules: int, width: int) -> list[bytes]:
    stride = width + 1
    data = modules.to_bytes(width * stride, "big")
    return [data[start : start + width] for start in range(0, len(data), stride)]


def _finished(modules: int, layout: _Layout, first: _Symbol, mask: int) -> tuple[bytes, ...]:
    """The masked data with the format and version information of `mask` drawn in."""
    rows = tuple(bytearray(row) for row in _split(modules, layout.width))
    encoder.add_format_info(rows, first.version, first.error, mask)
    encoder.add_version_info(rows, first.version)
    return tuple(bytes(row) for row in rows)


def _penalty(rows: int, columns: int, layout: _Layout) -> int:
    """The mask penalty N1 + N2 + N3 + N4 of the symbol (as `segno.encoder.mask_scores`)."""
    width = layout.width
    row_bytes = rows.to_bytes(width * (width + 1), "big")
    column_bytes = columns.to_bytes(width * (width + 1), "big")
    score = _N3 * (_finder_like(row_bytes, width) + _finder_like(column_bytes, width))
    score += _long_runs(rows, layout) + _long_runs(columns, layout)
    # N2: a module equal to its left, upper and upper-left neighbours closes a 2×2 block.
    stride_bits = 8 * (width + 1)
    across = rows ^ (rows >> 8)  # each module against its left neighbour
    differs = across | (across >> stride_bits) | (rows ^ (rows >> stride_bits))
    open_corners = ((differs | (differs >> 1)) & layout.block_corners).bit_count()
    score += _N2 * ((width - 1) ** 2 - open_corners)
    # N4: 10 points per full 5 % the dark share is away from half.
    # (in segno's float steps: a share of exactly 45 % must round as it does there)
    dark_share = (rows & layout.ones).bit_count() / width**2
    score += _N4 * int(abs(dark_share * 100 - 50) / 5)
    return score


def _long_runs(modules: int, layout: _Layout) -> int:
    """N1: 3 points for each run of five modules of one colour in a line, 1 more for each
    module beyond five. A module equal to the four before it is the fifth or a later module
    of a run; if the one five back differs, it is exactly the fifth. Summed over a run of
    length L: (L - 4) later-or-fifth modules plus 2 for the run, L - 2 points in all."""
    across = modules ^ (modules >> 8)
    same = ((across | (across >> 1)) & layout.ones_with_separators) ^ layout.comparable
    fifth_or_later = same & (same >> 8) & (same >> 16) & (same >> 24)
    fifth = fifth_or_later & ~(same >> 32)
    return _N1 * fifth.bit_count() + (fifth_or_later.bit_count() - fifth.bit_count())


def _finder_like(data: bytes, width: int) -> int:
    """Finder-like patterns with four light modules (or the edge) before or after them,
    found and skipped exactly as segno does (its `n3_pattern_occurrences`), per line."""
    count = 0
    stride = width + 1
    found = data.find(_FINDER_LIKE)
    while found != -1:
        line = found - found % stride
        index = found - line
        after = found + 7
        before_light = not any(data[line + max(index - 4, 0) : found])
        after_light = not any(data[after : line + min(index + 11, width)])
        if index in (0, width - 7) or before_light or after_light:
            count += 1
        else:
            after = found + 4
        found = data.find(_FINDER_LIKE, after)
    return count


@functools.lru_cache(maxsize=40)
def _layout(width: int) -> _Layout:
    function_patterns = encoder.make_matrix(width, width)
    encoder.add_finder_patterns(function_patterns, width, width)
    encoder.add_alignment_patterns(function_patterns, width, width)
    # What segno places the bit stream into (before `find_and_apply_best_mask` marks the
    # dark module as not to be masked).
    template = b"".join(bytes(row) for row in function_patterns)
    source = _placement_order(function_patterns, width)
    function_patterns[-8][8] = 1  # the dark module
    reserved = encoder.make_matrix(width, width, reserve_regions=True, add_timing=False)
    timing = encoder.make_matrix(width, width, reserve_regions=False, add_timing=True)
    masks = encoder.get_data_mask_functions(False)

    def grid(cell: Callable[[int, int], int]) -> tuple[tuple[int, ...], ...]:
        return tuple(tuple(cell(i, j) for j in range(width)) for i in range(width))

    def is_data(i: int, j: int) -> bool:
        return bool(function_patterns[i][j] == _UNSET)

    def kept(i: int, j: int) -> int:
        blank = reserved[i][j] == 0 and timing[i][j] == _UNSET
        return 0x00 if blank else 0xFF

    keep = grid(kept)

    def flip(mask: int) -> tuple[tuple[int, ...], ...]:
        return grid(lambda i, j: int(is_data(i, j) and masks[0](i, j) != masks[mask](i, j)))

    flips = [flip(mask) for mask in range(_MASKS)]
    mask_0 = grid(lambda i, j: int(is_data(i, j) and bool(masks[0](i, j))))
    corners = grid(lambda i, j: int(i > 0 and j > 0))
    modules = grid(lambda i, j: 1)
    every_byte = _joined(modules, 1)
    first_byte = 1 << (8 * width * (width + 1) - 8)
    return _Layout(
        width=width,
        keep=_joined(keep, 0xFF),
        keep_columns=_joined(_transposed(keep), 0xFF),
        flips=tuple(_joined(flip, 0) for flip in flips),
        flips_columns=tuple(_joined(_transposed(flip), 0) for flip in flips),
        block_corners=_joined(corners, 0),
        ones=_joined(modules, 0),
        ones_with_separators=every_byte,
        comparable=every_byte & ~first_byte,
        template=template,
        gather=operator.itemgetter(*source),
        data_modules=sum(1 for place in source if place >= width * width),
        mask_0=int.from_bytes(b"".join(bytes(row) for row in mask_0), "big"),
    )


def _transposed(rows: tuple[tuple[int, ...], ...]) -> tuple[tuple[int, ...], ...]:
    return tuple(zip(*rows, strict=True))
