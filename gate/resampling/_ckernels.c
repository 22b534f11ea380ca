/* The compiled Poisson-bootstrap kernels of gate.resampling.poisson (an optional C extension).
 *
 * A position's weight is computed exactly as gate.resampling.poisson.weights computes it (the same
 * SplitMix64 words, the same lookup tables and 48-bit thresholds), so the counts equal the numpy
 * path's bit for bit (integer weights, exact sums). rank_sums adds every float in the same order as
 * gate.metrics.compiler._rank_sums (one pass, left to right); it is compiled with floating-point
 * contraction off (setup.py), so no fused multiply-add changes a rounding. tie_ranks gives each score
 * of a column its descending tie-group index (gate.metrics.compiler.descending_groups) by hashing the
 * doubles' bit patterns, when the column has few distinct values.
 *
 * On x86-64 with GCC or Clang the pair loops are compiled three times: scalar, with an AVX2 draw (four
 * SplitMix64 words at once) and with an AVX-512 one (eight), where each 16-bit lane's weight comes
 * from compares against its row's thresholds rounded to 16 bits and t0's run boundaries from one
 * compare of the codes with their neighbours. The best the CPU has runs (__builtin_cpu_supports:
 * AVX-512 F, BW and DQ, or AVX2); all give the same weights, hence the same counts (vector() picks
 * one, for tests).
 *
 * Built by setup.py as an optional extension: without a C compiler the install goes on and
 * gate.resampling.poisson uses its numpy path (same results, slower). The functions take numpy
 * arrays through the buffer protocol (no numpy headers), check their types and shapes, and release
 * the GIL while they run, so the bootstrap's threads run them in parallel.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__)
#define HAVE_AVX512 1
#include <immintrin.h>
#define AVX512 __attribute__((target("avx512f,avx512bw,avx512dq")))
#define AVX2 __attribute__((target("avx2")))
#endif

#define GAMMA 0x9E3779B97F4A7C15ULL
#define EXTRA 0xD1B54A32D192ED03ULL
#define LANE 0xFFFFULL
#define AMBIGUOUS 255

static inline uint64_t mix64(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* The weight of position i whose lookup-table entry is w, resolved from 32 more bits of the second
 * stream against its row of thresholds when ambiguous (the row ends with 2^64 - 1, above every
 * 48-bit value, so the scan stops). */
static inline int64_t settle(int64_t w, uint64_t u, uint64_t i, uint64_t key2, uint64_t r, uint64_t n,
                             const uint64_t *thresholds) {
    if (w != AMBIGUOUS) return w;
    uint64_t extra = mix64(key2 + (r * n + i) * GAMMA) >> 32;
    uint64_t value = (u << 32) | extra;
    int64_t k = 0;
    while (thresholds[k] <= value) k++;
    return k;
}

/* The inputs every kernel shares, read once from the Python arguments. */
typedef struct {
    uint64_t key;
    uint64_t r0;
    const uint8_t *luts;          /* a row of 65536 per group of pieces (row 0 unused) */
    const uint64_t *thresholds;   /* the same rows, `width` thresholds each */
    Py_ssize_t width;
    const int64_t *bounds;
    Py_ssize_t n_bounds;
} Stream;

/* A table row's thresholds rounded to the 16-bit uniform, for the vectorised draw: a lane u < TAIL
 * weighs sum(count[q] for up[q] <= u), exactly the lookup table's entry (the thresholds T with
 * T <= u * 2^32: ceil(T / 2^32) <= u), unless u is one of cut (some T in (u * 2^32, u * 2^32 + 2^32 - 1]:
 * the table's ambiguous entries). Only values below TAIL are kept: a lane u >= TAIL (p = 1/256) takes
 * the lookup table's entry as the scalar loop does, which spares the vector loops the compares of the
 * thresholds crowded at the top (Poisson(1): 4 of 11). ok is 0 for a row with more than ROUNDED
 * distinct values of either below TAIL. */
#define ROUNDED 24
#define TAIL 65280
typedef struct {
    int ok, n_up, n_cut;
    uint16_t up[ROUNDED], count[ROUNDED], cut[ROUNDED];
} Rounded;

static void round_row(const uint64_t *thr, Py_ssize_t width, Rounded *rd) {
    rd->ok = 1;
    rd->n_up = rd->n_cut = 0;
    for (Py_ssize_t k = 0; k < width && thr[k] != UINT64_MAX; k++) {
        uint64_t t = thr[k], low = t & 0xFFFFFFFFULL, up = (t >> 32) + (low != 0);
        if (up < TAIL) {
            if (rd->n_up && rd->up[rd->n_up - 1] == up) {
                rd->count[rd->n_up - 1]++;
            } else if (rd->n_up == ROUNDED) {
                rd->ok = 0;
                return;
            } else {
                rd->up[rd->n_up] = (uint16_t)up;
                rd->count[rd->n_up++] = 1;
            }
        }
        if (low != 0 && (t >> 32) < TAIL && !(rd->n_cut && rd->cut[rd->n_cut - 1] == (t >> 32))) {
            if (rd->n_cut == ROUNDED) {
                rd->ok = 0;
                return;
            }
            rd->cut[rd->n_cut++] = (uint16_t)(t >> 32);
        }
    }
}

/* Piece code `code` of weight wk into view 0: summed in a register while the run of one code lasts,
 * stored when it ends. */
#define RUN_ADD(code, wk)                                                                             \
    do {                                                                                              \
        if ((int64_t)(code) != run) {                                                                 \
            a0[run] += (Count)total;                                                                      \
            run = (int64_t)(code);                                                                    \
            total = 0;                                                                                \
        }                                                                                             \
        total += (wk);                                                                                \
    } while (0)

/* Words J0 .. J1 of the current group, one SplitMix64 word (four pieces) at a time: each lane's weight
 * from the group's lookup table, settled when ambiguous, into a0 (by runs) and a1. */
#define SCALAR_WORDS(J0, J1)                                                                          \
    for (uint64_t word = (J0); word < (J1); word++) {                                                 \
        uint64_t z = mix64(base + word * GAMMA), i = 4 * word;                                        \
        uint64_t u[4] = {z & LANE, (z >> 16) & LANE, (z >> 32) & LANE, z >> 48};                      \
        int64_t w[4] = {lut[u[0]], lut[u[1]], lut[u[2]], lut[u[3]]};                                  \
        if ((w[0] | w[1] | w[2] | w[3]) & 128) {                                                      \
            for (int k = 0; k < 4; k++) w[k] = settle(w[k], u[k], i + k, key2, r, n, thr);            \
        }                                                                                             \
        if (t0[i] == run && t0[i + 1] == run && t0[i + 2] == run && t0[i + 3] == run) {              \
            total += w[0] + w[1] + w[2] + w[3];                                                       \
        } else {                                                                                      \
            for (int k = 0; k < 4; k++) RUN_ADD(t0[i + k], w[k]);                                     \
        }                                                                                             \
        if (a1) {                                                                                     \
            a1[t1[i]] += (Count)w[0];                                                                     \
            a1[t1[i + 1]] += (Count)w[1];                                                                 \
            a1[t1[i + 2]] += (Count)w[2];                                                                 \
            a1[t1[i + 3]] += (Count)w[3];                                                                 \
        }                                                                                             \
    }

#define NO_VECTOR(J, END, RD) ((void)0)

/* PAIR(T0, T1, H): for resamples r0 .. r0 + b - 1 (one per row of h0/h1) write each code's total of
 * the positions' weights into h0[r][t0[i]] and h1[r][t1[i]] (what the rows held is overwritten).
 * Positions bounds[m-1] .. bounds[m] (group m) weigh row m of the tables (Poisson(m), or a stratified group's mean); every bound is a multiple of 4, so a word's four
 * 16-bit lanes share a row. t0 comes in runs of equal codes (pieces are ordered by the first view's
 * code): a run is summed in a register and stored once. single is PAIR without the second table.
 * VECTOR(first, end, rounded + m) may take words from first on (eight at a time, advancing it) before
 * the scalar loop takes the rest: the same weights. */
#define DEFINE_PAIR(NAME, T0, T1, H, ATTR, VECTOR)                                                   \
    static ATTR void NAME(const Stream *s, const Rounded *rounded, const T0 *t0, const T1 *t1, H *h0, \
                          H *h1, Py_ssize_t b, Py_ssize_t codes0, Py_ssize_t codes1) {               \
        typedef H Count;                  /* (the counts' type, for RUN_ADD and the word loops) */    \
        uint64_t n = (uint64_t)s->bounds[s->n_bounds - 1], words = n / 4, key2 = s->key ^ EXTRA;      \
        (void)rounded;                                                                                \
        for (Py_ssize_t row = 0; row < b; row++) {                                                    \
            uint64_t r = s->r0 + (uint64_t)row, base = s->key + r * words * GAMMA;                    \
            H *a0 = h0 + row * codes0;                                                                \
            H *a1 = t1 ? h1 + row * codes1 : NULL;                                                    \
            memset(a0, 0, (size_t)codes0 * sizeof(H));     /* (zeroed here: the row stays in cache) */  \
            if (a1) memset(a1, 0, (size_t)codes1 * sizeof(H));                                        \
            int64_t run = n ? (int64_t)t0[0] : 0, total = 0;                                          \
            for (Py_ssize_t m = 1; m < s->n_bounds; m++) {                                            \
                const uint8_t *lut = s->luts + m * 65536;                                             \
                const uint64_t *thr = s->thresholds + m * s->width;                                   \
                uint64_t first = (uint64_t)s->bounds[m - 1] / 4, end = (uint64_t)s->bounds[m] / 4;    \
                VECTOR(first, end, rounded + m);                                                      \
                SCALAR_WORDS(first, end)                                                              \
            }                                                                                         \
            if (n) a0[run] += (H)total;                                                               \
        }                                                                                             \
    }

#define DEFINE_PAIRS(PREFIX, ATTR, VECTOR)                                                            \
    DEFINE_PAIR(PREFIX##_u16_u16_i32, uint16_t, uint16_t, int32_t, ATTR, VECTOR)                     \
    DEFINE_PAIR(PREFIX##_u16_i32_i32, uint16_t, int32_t, int32_t, ATTR, VECTOR)                      \
    DEFINE_PAIR(PREFIX##_i32_u16_i32, int32_t, uint16_t, int32_t, ATTR, VECTOR)                      \
    DEFINE_PAIR(PREFIX##_i32_i32_i32, int32_t, int32_t, int32_t, ATTR, VECTOR)                       \
    DEFINE_PAIR(PREFIX##_u16_u16_i64, uint16_t, uint16_t, int64_t, ATTR, VECTOR)                     \
    DEFINE_PAIR(PREFIX##_u16_i32_i64, uint16_t, int32_t, int64_t, ATTR, VECTOR)                      \
    DEFINE_PAIR(PREFIX##_i32_u16_i64, int32_t, uint16_t, int64_t, ATTR, VECTOR)                      \
    DEFINE_PAIR(PREFIX##_i32_i32_i64, int32_t, int32_t, int64_t, ATTR, VECTOR)

DEFINE_PAIRS(pair, , NO_VECTOR)

#ifdef HAVE_AVX512
/* The AVX-512 draw: eight SplitMix64 words (32 lanes) at once, each 16-bit lane's weight the number of
 * the group's thresholds it reaches (Rounded), the ambiguous lanes and those in the tail weighed as the
 * scalar loop weighs them (the lookup table, then settled); the pieces are then added as there. Used
 * only where the CPU has AVX-512 F, BW and DQ. */
static inline AVX512 __m512i mix64_x8(__m512i z) {
    z = _mm512_mullo_epi64(_mm512_xor_si512(z, _mm512_srli_epi64(z, 30)), _mm512_set1_epi64((long long)0xBF58476D1CE4E5B9ULL));
    z = _mm512_mullo_epi64(_mm512_xor_si512(z, _mm512_srli_epi64(z, 27)), _mm512_set1_epi64((long long)0x94D049BB133111EBULL));
    return _mm512_xor_si512(z, _mm512_srli_epi64(z, 31));
}

/* The 32 lanes' weights into wb and the mask of the lanes left to the lookup table (ambiguous or in the
 * tail: their wb is anything). */
static inline AVX512 __mmask32 weights_x32(__m512i z, const Rounded *rd, uint16_t *wb) {
    __m512i w = _mm512_setzero_si512();
    for (int q = 0; q < rd->n_up; q++) {
        __mmask32 reached = _mm512_cmpge_epu16_mask(z, _mm512_set1_epi16((short)rd->up[q]));
        w = _mm512_mask_add_epi16(w, reached, w, _mm512_set1_epi16((short)rd->count[q]));
    }
    __mmask32 odd = _mm512_cmpge_epu16_mask(z, _mm512_set1_epi16((short)TAIL));
    for (int q = 0; q < rd->n_cut; q++) odd |= _mm512_cmpeq_epi16_mask(z, _mm512_set1_epi16((short)rd->cut[q]));
    _mm512_storeu_si512(wb, w);
    return odd;
}

/* The inclusive prefix sums of the 32 weights (at most 32 * 127: no overflow) into pre. */
static inline AVX512 void prefix_x32(const uint16_t *wb, uint16_t *pre) {
    const __m512i lane = _mm512_set_epi16(31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16, 15, 14,
                                          13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
    __m512i x = _mm512_loadu_si512(wb);
    for (int shift = 1; shift < 32; shift *= 2) {
        __m512i from = _mm512_sub_epi16(lane, _mm512_set1_epi16((short)shift));
        x = _mm512_add_epi16(x, _mm512_maskz_permutexvar_epi16(~((1u << shift) - 1u), from, x));
    }
    _mm512_storeu_si512(pre, x);
}

/* The lanes k whose code p[k] differs from p[k - 1] (p[-1] is the previous piece's: i > 0). */
static inline AVX512 __mmask32 changes_u16(const void *p) {
    const uint16_t *c = p;
    return _mm512_cmpneq_epi16_mask(_mm512_loadu_si512(c), _mm512_loadu_si512(c - 1));
}

static inline AVX512 __mmask32 changes_i32(const void *p) {
    const int32_t *c = p;
    __mmask32 low = _mm512_cmpneq_epi32_mask(_mm512_loadu_si512(c), _mm512_loadu_si512(c - 1));
    __mmask32 high = _mm512_cmpneq_epi32_mask(_mm512_loadu_si512(c + 16), _mm512_loadu_si512(c + 15));
    return low | (high << 16);
}

#define CHANGES(p) (sizeof(*(p)) == 2 ? changes_u16(p) : changes_i32(p))

/* A block of LANES weights wb (lanes i .. i + LANES - 1) into a0 by runs and into a1: PREFIX gives
 * their prefix sums, CHANGES_OF the mask of lanes whose code differs from the one before (BITS mask
 * bits a lane); with run == t0[i - 1], each change ends a run. */
#define ADD_BLOCK(LANES, BITS, PREFIX, CHANGES_OF)                                                    \
    do {                                                                                              \
        uint16_t pre[LANES];                                                                          \
        PREFIX(wb, pre);                                                                              \
        if (i == 0) {                   /* (the first piece: no code before it to compare) */         \
            for (int k = 0; k < (LANES); k++) RUN_ADD(t0[k], wb[k]);                                  \
        } else {                                                                                      \
            int64_t added = 0;                                                                        \
            for (uint64_t change = (uint64_t)CHANGES_OF(t0 + i); change; change &= change - 1) {      \
                int k = __builtin_ctzll(change) / (BITS);                                             \
                if ((BITS) == 2) change &= change - 1;      /* (the lane's second bit) */             \
                int64_t upto = k ? pre[k - 1] : 0;                                                    \
                a0[run] += (Count)(total + upto - added);                                             \
                run = (int64_t)t0[i + k];                                                             \
                total = 0;                                                                            \
                added = upto;                                                                         \
            }                                                                                         \
            total += pre[(LANES) - 1] - added;                                                        \
        }                                                                                             \
        if (a1) {                                                                                     \
            for (int k = 0; k < (LANES); k++) a1[t1[i + k]] += (Count)wb[k];                          \
        }                                                                                             \
    } while (0)

#define AVX512_WORDS(J, END, RD)                                                                      \
    do {                                                                                              \
        const Rounded *rd = (RD);                                                                     \
        if (!rd->ok || (J) + 8 > (END)) break;                                                        \
        __m512i zb = _mm512_add_epi64(_mm512_set1_epi64((long long)(base + (J) * GAMMA)),             \
                                      _mm512_set_epi64((long long)(7 * GAMMA), (long long)(6 * GAMMA), \
                                                       (long long)(5 * GAMMA), (long long)(4 * GAMMA), \
                                                       (long long)(3 * GAMMA), (long long)(2 * GAMMA), \
                                                       (long long)GAMMA, 0));                         \
        const __m512i step = _mm512_set1_epi64((long long)(8 * GAMMA));                               \
        for (; (J) + 8 <= (END); (J) += 8) {                                                          \
            __m512i z = mix64_x8(zb);                                                                 \
            zb = _mm512_add_epi64(zb, step);                                                          \
            uint16_t wb[32], ub[32];                                                                  \
            __mmask32 odd = weights_x32(z, rd, wb);                                                   \
            uint64_t i = 4 * (J);                                                                     \
            if (odd) {                                                                                \
                _mm512_storeu_si512(ub, z);                                                           \
                for (; odd; odd &= odd - 1) {                                                         \
                    int k = __builtin_ctz(odd);                                                       \
                    wb[k] = (uint16_t)settle(lut[ub[k]], ub[k], i + k, key2, r, n, thr);               \
                }                                                                                     \
            }                                                                                         \
            ADD_BLOCK(32, 1, prefix_x32, CHANGES);                                                    \
        }                                                                                             \
    } while (0)

DEFINE_PAIRS(vpair, AVX512, AVX512_WORDS)

/* The AVX2 draw: the same with four words (16 lanes) at once; 64-bit products from 32-bit ones. */
static inline AVX2 __m256i mul64_x4(__m256i z, uint64_t c) {
    __m256i lo = _mm256_set1_epi64x((long long)(c & 0xFFFFFFFFULL)), hi = _mm256_set1_epi64x((long long)(c >> 32));
    __m256i cross = _mm256_add_epi64(_mm256_mul_epu32(_mm256_srli_epi64(z, 32), lo), _mm256_mul_epu32(z, hi));
    return _mm256_add_epi64(_mm256_mul_epu32(z, lo), _mm256_slli_epi64(cross, 32));
}

static inline AVX2 __m256i mix64_x4(__m256i z) {
    z = mul64_x4(_mm256_xor_si256(z, _mm256_srli_epi64(z, 30)), 0xBF58476D1CE4E5B9ULL);
    z = mul64_x4(_mm256_xor_si256(z, _mm256_srli_epi64(z, 27)), 0x94D049BB133111EBULL);
    return _mm256_xor_si256(z, _mm256_srli_epi64(z, 31));
}

/* The 16 lanes' weights into wb and the byte mask (two bits a lane) of the lanes left to the lookup
 * table (ambiguous or in the tail). */
static inline AVX2 uint32_t weights_x16(__m256i z, const Rounded *rd, uint16_t *wb) {
    __m256i w = _mm256_setzero_si256();
    for (int q = 0; q < rd->n_up; q++) {
        __m256i up = _mm256_set1_epi16((short)rd->up[q]);
        __m256i reached = _mm256_cmpeq_epi16(_mm256_max_epu16(z, up), z);
        w = _mm256_add_epi16(w, _mm256_and_si256(reached, _mm256_set1_epi16((short)rd->count[q])));
    }
    const __m256i tail = _mm256_set1_epi16((short)TAIL);
    __m256i odd = _mm256_cmpeq_epi16(_mm256_max_epu16(z, tail), z);
    for (int q = 0; q < rd->n_cut; q++) odd = _mm256_or_si256(odd, _mm256_cmpeq_epi16(z, _mm256_set1_epi16((short)rd->cut[q])));
    _mm256_storeu_si256((__m256i *)wb, w);
    return (uint32_t)_mm256_movemask_epi8(odd);
}

/* The inclusive prefix sums of the 16 weights into pre (within each 128-bit half, then across). */
static inline AVX2 void prefix_x16(const uint16_t *wb, uint16_t *pre) {
    __m256i x = _mm256_loadu_si256((const __m256i *)wb);
    x = _mm256_add_epi16(x, _mm256_slli_si256(x, 2));
    x = _mm256_add_epi16(x, _mm256_slli_si256(x, 4));
    x = _mm256_add_epi16(x, _mm256_slli_si256(x, 8));
    __m256i low_total = _mm256_shufflehi_epi16(_mm256_permute4x64_epi64(x, 0x55), 0xFF);     /* lane 7 */
    low_total = _mm256_permute4x64_epi64(low_total, 0xFF);        /* ... in every 64-bit quarter */
    x = _mm256_add_epi16(x, _mm256_blend_epi32(_mm256_setzero_si256(), low_total, 0xF0));
    _mm256_storeu_si256((__m256i *)pre, x);
}

/* The byte mask (two bits a lane) of the lanes k whose code p[k] differs from p[k - 1] (i > 0). */
static inline AVX2 uint32_t changes_u16_x16(const void *p) {
    const uint16_t *c = p;
    __m256i same = _mm256_cmpeq_epi16(_mm256_loadu_si256((const __m256i *)c), _mm256_loadu_si256((const __m256i *)(c - 1)));
    return ~(uint32_t)_mm256_movemask_epi8(same);
}

static inline AVX2 uint32_t changes_i32_x16(const void *p) {
    const int32_t *c = p;
    __m256i a = _mm256_cmpeq_epi32(_mm256_loadu_si256((const __m256i *)c), _mm256_loadu_si256((const __m256i *)(c - 1)));
    __m256i b = _mm256_cmpeq_epi32(_mm256_loadu_si256((const __m256i *)(c + 8)), _mm256_loadu_si256((const __m256i *)(c + 7)));
    __m256i same = _mm256_permute4x64_epi64(_mm256_packs_epi32(a, b), 0xD8);     /* lanes back in order */
    return ~(uint32_t)_mm256_movemask_epi8(same);
}

#define CHANGES_X16(p) (sizeof(*(p)) == 2 ? changes_u16_x16(p) : changes_i32_x16(p))

#define AVX2_WORDS(J, END, RD)                                                                        \
    do {                                                                                              \
        const Rounded *rd = (RD);                                                                     \
        if (!rd->ok || (J) + 4 > (END)) break;                                                        \
        __m256i zb = _mm256_add_epi64(_mm256_set1_epi64x((long long)(base + (J) * GAMMA)),            \
                                      _mm256_set_epi64x((long long)(3 * GAMMA), (long long)(2 * GAMMA), \
                                                        (long long)GAMMA, 0));                        \
        const __m256i step = _mm256_set1_epi64x((long long)(4 * GAMMA));                              \
        for (; (J) + 4 <= (END); (J) += 4) {                                                          \
            __m256i z = mix64_x4(zb);                                                                 \
            zb = _mm256_add_epi64(zb, step);                                                          \
            uint16_t wb[16], ub[16];                                                                  \
            uint32_t odd = weights_x16(z, rd, wb);                                                    \
            uint64_t i = 4 * (J);                                                                     \
            if (odd) {                                                                                \
                _mm256_storeu_si256((__m256i *)ub, z);                                                \
                for (; odd; odd &= odd - 1) {                                                         \
                    int k = __builtin_ctz(odd) / 2;                                                   \
                    odd &= odd - 1;                 /* (the lane's second bit) */                     \
                    wb[k] = (uint16_t)settle(lut[ub[k]], ub[k], i + k, key2, r, n, thr);               \
                }                                                                                     \
            }                                                                                         \
            ADD_BLOCK(16, 2, prefix_x16, CHANGES_X16);                                                \
        }                                                                                             \
    } while (0)

DEFINE_PAIRS(apair, AVX2, AVX2_WORDS)
#endif

/* RANK_ROW(T): one row r of a ranking block's per-group counts (pos, neg: G groups each, element
 * strides sp and sq): out[k * b + r] = P, N, sum pos*prec, sum pos*(prec + prec_prev), sum pos*fps,
 * sum pos*neg, each summed left to right as gate.metrics.compiler._rank_sums sums them; prec is
 * tps / (tps + fps), 1 where nothing is ranked yet (the curve's start point). RANK_SUMS(T, A) runs it
 * over the rows of counts of type T, summed in type A (int32 counts, the Poisson kernel's, in
 * int64: the same integers), with the strides known to be 1 when the groups are contiguous (the
 * usual block: the compiler then streams them). */
#define DEFINE_RANK_SUMS(NAME, T, A)                                                                 \
    static inline void NAME##_row(const T *pos, const T *neg, Py_ssize_t sp, Py_ssize_t sq,          \
                                  Py_ssize_t groups, Py_ssize_t b, Py_ssize_t r, double *out) {      \
        A tps = 0, fps = 0, s_fps = 0, s_neg = 0;                                                     \
        double ap = 0.0, pr = 0.0, prev = 1.0;                                                        \
        for (Py_ssize_t g = 0; g < groups; g++) {                                                     \
            A p = pos[g * sp], q = neg[g * sq];                                                       \
            tps += p;                                                                                 \
            fps += q;                                                                                 \
            A alls = tps + fps;                                                                       \
            double prec = alls > 0 ? (double)tps / (double)alls : 1.0;                                \
            double pf = (double)p;                                                                    \
            ap += pf * prec;                                                                          \
            pr += pf * (prec + prev);                                                                 \
            s_fps += p * fps;                                                                         \
            s_neg += p * q;                                                                           \
            prev = prec;                                                                              \
        }                                                                                             \
        out[r] = (double)tps;                                                                         \
        out[b + r] = (double)fps;                                                                     \
        out[2 * b + r] = ap;                                                                          \
        out[3 * b + r] = pr;                                                                          \
        out[4 * b + r] = (double)s_fps;                                                               \
        out[5 * b + r] = (double)s_neg;                                                               \
    }                                                                                                 \
    static void NAME(const char *pos, const char *neg, Py_ssize_t b, Py_ssize_t groups,              \
                     const Py_ssize_t *ps, const Py_ssize_t *ns, double *out) {                      \
        Py_ssize_t sp = ps[1] / (Py_ssize_t)sizeof(T), sq = ns[1] / (Py_ssize_t)sizeof(T);            \
        for (Py_ssize_t r = 0; r < b; r++) {                                                          \
            const T *p = (const T *)(pos + r * ps[0]), *q = (const T *)(neg + r * ns[0]);             \
            if (sp == 1 && sq == 1)                                                                   \
                NAME##_row(p, q, 1, 1, groups, b, r, out);                                            \
            else                                                                                      \
                NAME##_row(p, q, sp, sq, groups, b, r, out);                                          \
        }                                                                                             \
    }

DEFINE_RANK_SUMS(rank_sums_i32, int32_t, int64_t)
DEFINE_RANK_SUMS(rank_sums_i64, int64_t, int64_t)
DEFINE_RANK_SUMS(rank_sums_f64, double, double)

/* TIE_RANKS: the descending rank among the distinct values (0 for the highest) of each of the n
 * doubles at base, base + stride, ... (a strided column), written to out; returns D, the number of
 * distinct values, or -1 as soon as there are more than `limit` (the caller then sorts), or -2 when
 * memory runs out. Values are told apart by their bit patterns after + 0.0 (-0.0 becomes 0.0) and
 * ordered by the same order-preserving unsigned image as descending_groups' radix sort (sign bit
 * flipped for positives, every bit for negatives), so the ranks are the radix path's whatever the
 * bits. An open-addressing table (linear probing, mix64 of the bits, load at most 1/2, doubled as it
 * fills) maps a value to its id, ids in order of first appearance; out first holds ids, then ranks. */
typedef struct {
    uint64_t key;     /* order-preserving image of the value */
    int64_t id;       /* -1: an empty slot of the table */
} Slot;               /* also a distinct value and its id (vals, sorted by key at the end) */

static int by_key(const void *a, const void *b) {
    uint64_t x = ((const Slot *)a)->key, y = ((const Slot *)b)->key;
    return (x > y) - (x < y);
}

static Slot *new_table(size_t cap) {
    Slot *t = malloc(cap * sizeof(Slot));
    if (t) memset(t, 0xFF, cap * sizeof(Slot));        /* id -1 everywhere */
    return t;
}

/* A strided column's scores are prefetched AHEAD positions ahead: the table lookups otherwise wait
 * for each score's cache line in turn (10^6 scores 1.3x faster as a column of a 20-column matrix). */
#if defined(__GNUC__) || defined(__clang__)
#define PREFETCH(p) __builtin_prefetch(p)
#else
#define PREFETCH(p) ((void)(p))
#endif
#define AHEAD 64

static int64_t tie_ranks_run(const char *base, Py_ssize_t stride, Py_ssize_t n, int64_t *out, int64_t limit) {
    if (n == 0) return 0;
    size_t cap = 1024, mask = cap - 1;
    int64_t d = 0, room = 512;                          /* distinct values before the table doubles */
    Slot *table = new_table(cap);
    Slot *vals = malloc((size_t)room * sizeof(Slot));
    if (!table || !vals) { free(table); free(vals); return -2; }
    int strided = stride != (Py_ssize_t)sizeof(double);   /* a column: each score on its own cache line */
    for (Py_ssize_t i = 0; i < n; i++) {
        double x;
        if (strided && i + AHEAD < n) PREFETCH(base + (i + AHEAD) * stride);
        memcpy(&x, base + i * stride, sizeof x);
        x += 0.0;
        uint64_t bits;
        memcpy(&bits, &x, sizeof bits);
        uint64_t key = bits >> 63 ? ~bits : bits | (1ULL << 63);
        size_t h = (size_t)mix64(key) & mask;
        while (table[h].id >= 0 && table[h].key != key) h = (h + 1) & mask;
        if (table[h].id < 0) {
            if (d == limit) { free(table); free(vals); return -1; }
            if (d == room) {                             /* double the table and reinsert every value */
                room *= 2;
                cap *= 2;
                mask = cap - 1;
                Slot *bigger = new_table(cap);
                Slot *more = realloc(vals, (size_t)room * sizeof(Slot));
                if (!bigger || !more) { free(bigger); free(table); free(more ? more : vals); return -2; }
                vals = more;
                free(table);
                table = bigger;
                for (int64_t j = 0; j < d; j++) {
                    size_t g = (size_t)mix64(vals[j].key) & mask;
                    while (table[g].id >= 0) g = (g + 1) & mask;
                    table[g].key = vals[j].key;
                    table[g].id = j;
                }
                h = (size_t)mix64(key) & mask;
                while (table[h].id >= 0) h = (h + 1) & mask;
            }
            table[h].key = key;
            table[h].id = d;
            vals[d].key = key;
            vals[d].id = d;
            d++;
        }
        out[i] = table[h].id;
    }
    free(table);
    qsort(vals, (size_t)d, sizeof(Slot), by_key);
    int64_t *rank = malloc((size_t)d * sizeof(int64_t));
    if (!rank) { free(vals); return -2; }
    for (int64_t r = 0; r < d; r++) rank[vals[r].id] = d - 1 - r;
    free(vals);
    for (Py_ssize_t i = 0; i < n; i++) out[i] = rank[out[i]];
    free(rank);
    return d;
}

/* -- argument checking ------------------------------------------------------------------------- */

/* The kind of a buffer's items: 'i' signed or 'u' unsigned integer, 'f' float; 0 for anything else. */
static char item_kind(const Py_buffer *v) {
    const char *f = v->format ? v->format : "B";
    while (*f == '@' || *f == '=' || *f == '<' || *f == '>' || *f == '!') f++;
    if (f[0] == '\0' || f[1] != '\0') return 0;
    if (strchr("bhilq", f[0])) return 'i';
    if (strchr("BHILQ", f[0])) return 'u';
    if (strchr("efd", f[0])) return 'f';
    return 0;
}

static int get(PyObject *obj, Py_buffer *v, int flags, int ndim, char kind, const char *name) {
    if (PyObject_GetBuffer(obj, v, flags | PyBUF_FORMAT | PyBUF_ND) < 0) return -1;
    if (v->ndim != ndim || item_kind(v) != kind) {
        PyErr_Format(PyExc_TypeError, "%s: expected a %d-d array of kind '%c'", name, ndim, kind);
        PyBuffer_Release(v);
        return -1;
    }
    return 0;
}

static int stream(Stream *s, Py_buffer *luts, Py_buffer *thr, Py_buffer *bounds, PyObject *const *args) {
    if (get(args[2], luts, PyBUF_C_CONTIGUOUS, 2, 'u', "luts") < 0) return -1;
    if (get(args[3], thr, PyBUF_C_CONTIGUOUS, 2, 'u', "thresholds") < 0) { PyBuffer_Release(luts); return -1; }
    if (get(args[4], bounds, PyBUF_C_CONTIGUOUS, 1, 'i', "bounds") < 0) {
        PyBuffer_Release(luts); PyBuffer_Release(thr); return -1;
    }
    if (luts->itemsize != 1 || luts->shape[1] != 65536 || thr->itemsize != 8 || bounds->itemsize != 8
        || bounds->shape[0] < 1 || bounds->shape[0] > luts->shape[0] || thr->shape[0] != luts->shape[0]) {
        PyErr_SetString(PyExc_ValueError, "luts, thresholds or bounds do not match");
        PyBuffer_Release(luts); PyBuffer_Release(thr); PyBuffer_Release(bounds);
        return -1;
    }
    s->key = PyLong_AsUnsignedLongLongMask(args[0]);
    s->r0 = PyLong_AsUnsignedLongLongMask(args[1]);
    if (PyErr_Occurred()) { PyBuffer_Release(luts); PyBuffer_Release(thr); PyBuffer_Release(bounds); return -1; }
    s->luts = luts->buf;
    s->thresholds = thr->buf;
    s->width = thr->shape[1];
    s->bounds = bounds->buf;
    s->n_bounds = bounds->shape[0];
    return 0;
}

/* A code table: 1-d uint16 or int32, as long as the positions, every code a column of its counts. */
static int codes_ok(const Py_buffer *t, const Py_buffer *h, int64_t n, const char *name) {
    int wide = item_kind(t) == 'i' && t->itemsize == 4, narrow = item_kind(t) == 'u' && t->itemsize == 2;
    if (t->ndim != 1 || !(wide || narrow) || t->shape[0] != n) {
        PyErr_Format(PyExc_TypeError, "%s: expected a uint16 or int32 table of %lld codes", name, (long long)n);
        return 0;
    }
    Py_ssize_t cols = h->shape[1];
    for (Py_ssize_t i = 0; i < n; i++) {
        int64_t c = wide ? ((const int32_t *)t->buf)[i] : ((const uint16_t *)t->buf)[i];
        if (c < 0 || c >= cols) {
            PyErr_Format(PyExc_IndexError, "%s: code %lld outside 0 .. %zd", name, (long long)c, cols - 1);
            return 0;
        }
    }
    return 1;
}

static int counts_ok(const Py_buffer *h, const char *name) {
    if (h->ndim != 2 || item_kind(h) != 'i' || (h->itemsize != 4 && h->itemsize != 8)) {
        PyErr_Format(PyExc_TypeError, "%s: expected a 2-d int32 or int64 array", name);
        return 0;
    }
    return 1;
}

typedef void (*pair_fn)(const Stream *, const Rounded *, const void *, const void *, void *, void *, Py_ssize_t,
                        Py_ssize_t, Py_ssize_t);

#define PAIR_TABLE(P)                                                                                 \
    {{{(pair_fn)P##_u16_u16_i32, (pair_fn)P##_u16_i32_i32}, {(pair_fn)P##_i32_u16_i32, (pair_fn)P##_i32_i32_i32}}, \
     {{(pair_fn)P##_u16_u16_i64, (pair_fn)P##_u16_i32_i64}, {(pair_fn)P##_i32_u16_i64, (pair_fn)P##_i32_i32_i64}}}

/* How pair() and single() draw: SCALAR, WITH_AVX2 or WITH_AVX512; -1 until first asked (then the
 * best this CPU has). */
enum { SCALAR = 0, WITH_AVX2 = 1, WITH_AVX512 = 2 };
static int draw_level = -1;

static int best_level(void) {
#ifdef HAVE_AVX512
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq"))
        return WITH_AVX512;
    if (__builtin_cpu_supports("avx2")) return WITH_AVX2;
#endif
    return SCALAR;
}

static int level_in_use(void) {
    if (draw_level < 0) draw_level = best_level();
    return draw_level;
}

static pair_fn pick_pair(const Py_buffer *t0, const Py_buffer *t1, const Py_buffer *h) {
    static const pair_fn scalar[2][2][2] = PAIR_TABLE(pair);
#ifdef HAVE_AVX512
    static const pair_fn avx512[2][2][2] = PAIR_TABLE(vpair);
    static const pair_fn avx2[2][2][2] = PAIR_TABLE(apair);
#endif
    int t1_wide = t1 ? t1->itemsize == 4 : 0, wide = h->itemsize == 8, t0_wide = t0->itemsize == 4;
#ifdef HAVE_AVX512
    if (level_in_use() == WITH_AVX512) return avx512[wide][t0_wide][t1_wide];
    if (level_in_use() == WITH_AVX2) return avx2[wide][t0_wide][t1_wide];
#endif
    return scalar[wide][t0_wide][t1_wide];
}

/* pair(key, r0, luts, thresholds, bounds, t0, t1, h0, h1) and single(key, r0, luts, thresholds,
 * bounds, t0, h0): see PAIR. Every code is checked against its counts' width before anything runs. */
static PyObject *run_pair(PyObject *const *args, Py_ssize_t nargs, int paired) {
    Py_ssize_t want = paired ? 9 : 7;
    if (nargs != want) {
        PyErr_Format(PyExc_TypeError, "expected %zd arguments, got %zd", want, nargs);
        return NULL;
    }
    Stream s;
    Py_buffer luts, thr, bounds, t0, t1 = {0}, h0, h1 = {0};
    if (stream(&s, &luts, &thr, &bounds, args) < 0) return NULL;
    PyObject *result = NULL;
    Rounded *rounded = NULL;
    int got_t0 = 0, got_t1 = 0, got_h0 = 0, got_h1 = 0;
    PyObject *ot0 = args[5], *ot1 = paired ? args[6] : NULL, *oh0 = args[paired ? 7 : 6], *oh1 = paired ? args[8] : NULL;
    if (PyObject_GetBuffer(ot0, &t0, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) goto done;
    got_t0 = 1;
    if (paired) {
        if (PyObject_GetBuffer(ot1, &t1, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) goto done;
        got_t1 = 1;
    }
    if (PyObject_GetBuffer(oh0, &h0, PyBUF_C_CONTIGUOUS | PyBUF_WRITABLE | PyBUF_FORMAT) < 0) goto done;
    got_h0 = 1;
    if (paired) {
        if (PyObject_GetBuffer(oh1, &h1, PyBUF_C_CONTIGUOUS | PyBUF_WRITABLE | PyBUF_FORMAT) < 0) goto done;
        got_h1 = 1;
    }
    int64_t n = s.bounds[s.n_bounds - 1];
    for (Py_ssize_t m = 1; m < s.n_bounds; m++) {
        if (s.bounds[m] < s.bounds[m - 1] || s.bounds[m] % 4 || s.bounds[0] != 0) {
            PyErr_SetString(PyExc_ValueError, "bounds must start at 0, rise and be multiples of 4");
            goto done;
        }
    }
    if (!counts_ok(&h0, "h0") || (paired && !counts_ok(&h1, "h1"))) goto done;
    if (paired && (h1.itemsize != h0.itemsize || h1.shape[0] != h0.shape[0])) {
        PyErr_SetString(PyExc_ValueError, "h0 and h1 must have the same type and rows");
        goto done;
    }
    if (!codes_ok(&t0, &h0, n, "t0") || (paired && !codes_ok(&t1, &h1, n, "t1"))) goto done;
    pair_fn fn = pick_pair(&t0, paired ? &t1 : NULL, &h0);
    rounded = PyMem_Malloc((size_t)s.n_bounds * sizeof(Rounded));
    if (rounded == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t m = 1; m < s.n_bounds; m++) round_row(s.thresholds + m * s.width, s.width, rounded + m);
    Py_BEGIN_ALLOW_THREADS
    fn(&s, rounded, t0.buf, paired ? t1.buf : NULL, h0.buf, paired ? h1.buf : NULL, h0.shape[0], h0.shape[1],
       paired ? h1.shape[1] : 0);
    Py_END_ALLOW_THREADS
    result = Py_None;
    Py_INCREF(result);
done:
    PyMem_Free(rounded);
    if (got_h1) PyBuffer_Release(&h1);
    if (got_h0) PyBuffer_Release(&h0);
    if (got_t1) PyBuffer_Release(&t1);
    if (got_t0) PyBuffer_Release(&t0);
    PyBuffer_Release(&bounds);
    PyBuffer_Release(&thr);
    PyBuffer_Release(&luts);
    return result;
}

static PyObject *pair(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    (void)self;
    return run_pair(args, nargs, 1);
}

static PyObject *single(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    (void)self;
    return run_pair(args, nargs, 0);
}

/* rank_sums(pos, neg, out): see RANK_SUMS; pos and neg int32, int64 or float64 (the same; int32
 * counts are summed in int64), out a C-contiguous float64 array of 6 x b. */
static PyObject *rank_sums(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    (void)self;
    if (nargs != 3) {
        PyErr_Format(PyExc_TypeError, "expected 3 arguments, got %zd", nargs);
        return NULL;
    }
    Py_buffer pos, neg, out;
    if (PyObject_GetBuffer(args[0], &pos, PyBUF_STRIDES | PyBUF_FORMAT) < 0) return NULL;
    if (PyObject_GetBuffer(args[1], &neg, PyBUF_STRIDES | PyBUF_FORMAT) < 0) { PyBuffer_Release(&pos); return NULL; }
    if (PyObject_GetBuffer(args[2], &out, PyBUF_C_CONTIGUOUS | PyBUF_WRITABLE | PyBUF_FORMAT) < 0) {
        PyBuffer_Release(&neg); PyBuffer_Release(&pos); return NULL;
    }
    PyObject *result = NULL;
    char kind = item_kind(&pos);
    Py_ssize_t size = pos.itemsize;
    if (pos.ndim != 2 || neg.ndim != 2 || pos.shape[0] != neg.shape[0] || pos.shape[1] != neg.shape[1]
        || kind != item_kind(&neg) || neg.itemsize != size || (kind != 'i' && kind != 'f')
        || (size != 8 && !(kind == 'i' && size == 4))
        || pos.strides[0] % size || pos.strides[1] % size || neg.strides[0] % size || neg.strides[1] % size) {
        PyErr_SetString(PyExc_TypeError, "pos and neg: expected two 2-d int32, int64 or float64 arrays of one shape");
    } else if (out.ndim != 2 || item_kind(&out) != 'f' || out.itemsize != 8 || out.shape[0] != 6
               || out.shape[1] != pos.shape[0]) {
        PyErr_SetString(PyExc_TypeError, "out: expected a float64 array of 6 x rows");
    } else {
        Py_BEGIN_ALLOW_THREADS
        if (kind == 'i' && size == 4)
            rank_sums_i32(pos.buf, neg.buf, pos.shape[0], pos.shape[1], pos.strides, neg.strides, out.buf);
        else if (kind == 'i')
            rank_sums_i64(pos.buf, neg.buf, pos.shape[0], pos.shape[1], pos.strides, neg.strides, out.buf);
        else
            rank_sums_f64(pos.buf, neg.buf, pos.shape[0], pos.shape[1], pos.strides, neg.strides, out.buf);
        Py_END_ALLOW_THREADS
        result = Py_None;
        Py_INCREF(result);
    }
    PyBuffer_Release(&out);
    PyBuffer_Release(&neg);
    PyBuffer_Release(&pos);
    return result;
}

/* radix_pass(key, shift, order, out): out = order stably sorted by the 16-bit digit
 * (key[order[i]] >> shift) & 0xFFFF, one counting pass (numpy's stable argsort of a uint16 array
 * takes two 8-bit passes, plus the gathers around it). key: 1-d 8-byte integers, order and out: 1-d
 * int64 of one length, every order value an index of key (checked before anything is written). */
static PyObject *radix_pass(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    (void)self;
    if (nargs != 4) {
        PyErr_Format(PyExc_TypeError, "expected 4 arguments, got %zd", nargs);
        return NULL;
    }
    long shift = PyLong_AsLong(args[1]);
    if (shift == -1 && PyErr_Occurred()) return NULL;
    if (shift < 0 || shift > 48) {
        PyErr_SetString(PyExc_ValueError, "shift must be 0 .. 48");
        return NULL;
    }
    Py_buffer key, order, out;
    if (PyObject_GetBuffer(args[0], &key, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) return NULL;
    if (PyObject_GetBuffer(args[2], &order, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) {
        PyBuffer_Release(&key);
        return NULL;
    }
    if (PyObject_GetBuffer(args[3], &out, PyBUF_C_CONTIGUOUS | PyBUF_WRITABLE | PyBUF_FORMAT) < 0) {
        PyBuffer_Release(&order);
        PyBuffer_Release(&key);
        return NULL;
    }
    PyObject *result = NULL;
    char kind = item_kind(&key);
    if (key.ndim != 1 || key.itemsize != 8 || (kind != 'i' && kind != 'u')) {
        PyErr_SetString(PyExc_TypeError, "key: expected a 1-d array of 8-byte integers");
    } else if (order.ndim != 1 || item_kind(&order) != 'i' || order.itemsize != 8 || out.ndim != 1
               || item_kind(&out) != 'i' || out.itemsize != 8 || out.shape[0] != order.shape[0]
               || out.buf == order.buf) {
        PyErr_SetString(PyExc_TypeError, "order, out: expected two distinct int64 arrays of one length");
    } else {
        Py_ssize_t n = order.shape[0], n_key = key.shape[0];
        uint16_t *digit = PyMem_RawMalloc((size_t)(n ? n : 1) * sizeof(uint16_t));
        int64_t *start = PyMem_RawCalloc(65536, sizeof(int64_t));
        const uint64_t *k = key.buf;
        const int64_t *in = order.buf;
        int64_t *to = out.buf;
        int bad = 0;
        if (digit == NULL || start == NULL) {
            PyErr_NoMemory();
        } else {
            Py_BEGIN_ALLOW_THREADS
            for (Py_ssize_t i = 0; i < n; i++) {
                uint64_t j = (uint64_t)in[i];
                if (j >= (uint64_t)n_key) {
                    bad = 1;
                    break;
                }
                digit[i] = (uint16_t)(k[j] >> shift);
                start[digit[i]]++;
            }
            if (!bad) {
                int64_t total = 0;
                for (int d = 0; d < 65536; d++) {
                    int64_t c = start[d];
                    start[d] = total;
                    total += c;
                }
                for (Py_ssize_t i = 0; i < n; i++) to[start[digit[i]]++] = in[i];
            }
            Py_END_ALLOW_THREADS
            if (bad) {
                PyErr_SetString(PyExc_IndexError, "order: a position outside key");
            } else {
                result = Py_None;
                Py_INCREF(result);
            }
        }
        PyMem_RawFree(start);
        PyMem_RawFree(digit);
    }
    PyBuffer_Release(&out);
    PyBuffer_Release(&order);
    PyBuffer_Release(&key);
    return result;
}

/* The buffer holds native doubles ("d", "@d", "=d", or "<d"/">d" in this machine's byte order). */
static int native_double(const Py_buffer *v) {
    const char *f = v->format ? v->format : "B";
    const uint16_t one = 1;
    int little = *(const uint8_t *)&one == 1;
    if (*f == '@' || *f == '=' || *f == (little ? '<' : '>') || (!little && *f == '!')) f++;
    return v->itemsize == 8 && strcmp(f, "d") == 0;
}

/* tie_ranks(scores, out, limit): see TIE_RANKS; scores a 1-d float64 array of any stride (a column
 * of a C-ordered matrix), out a C-contiguous int64 array as long; returns D, or -1 past limit (out
 * then holds nothing useful). */
static PyObject *tie_ranks(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    (void)self;
    if (nargs != 3) {
        PyErr_Format(PyExc_TypeError, "expected 3 arguments, got %zd", nargs);
        return NULL;
    }
    long long limit = PyLong_AsLongLong(args[2]);
    if (limit == -1 && PyErr_Occurred()) return NULL;
    if (limit < 0) {
        PyErr_SetString(PyExc_ValueError, "limit must not be negative");
        return NULL;
    }
    Py_buffer scores, out;
    if (PyObject_GetBuffer(args[0], &scores, PyBUF_STRIDES | PyBUF_FORMAT) < 0) return NULL;
    if (PyObject_GetBuffer(args[1], &out, PyBUF_C_CONTIGUOUS | PyBUF_WRITABLE | PyBUF_FORMAT) < 0) {
        PyBuffer_Release(&scores);
        return NULL;
    }
    PyObject *result = NULL;
    if (scores.ndim != 1 || !native_double(&scores)) {
        PyErr_SetString(PyExc_TypeError, "scores: expected a 1-d float64 array");
    } else if (out.ndim != 1 || item_kind(&out) != 'i' || out.itemsize != 8 || out.shape[0] != scores.shape[0]) {
        PyErr_SetString(PyExc_TypeError, "out: expected an int64 array as long as scores");
    } else {
        int64_t d;
        Py_BEGIN_ALLOW_THREADS
        d = tie_ranks_run(scores.buf, scores.strides[0], scores.shape[0], out.buf, (int64_t)limit);
        Py_END_ALLOW_THREADS
        result = d == -2 ? PyErr_NoMemory() : PyLong_FromLongLong(d);
    }
    PyBuffer_Release(&out);
    PyBuffer_Release(&scores);
    return result;
}

/* vector(level): with 0 (the scalar loop), 1 (AVX2) or 2 (AVX-512), draw that way from now on, or the
 * best this CPU has below it; with None, leave it; returns the level pair() and single() now use (the
 * same counts at every level). */
static PyObject *vector(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    (void)self;
    if (nargs != 1) {
        PyErr_Format(PyExc_TypeError, "expected 1 argument, got %zd", nargs);
        return NULL;
    }
    if (args[0] != Py_None) {
        long want = PyLong_AsLong(args[0]);
        if (want == -1 && PyErr_Occurred()) return NULL;
        int best = best_level();
        draw_level = want < 0 ? SCALAR : (want > best ? best : (int)want);
    }
    return PyLong_FromLong(level_in_use());
}

static PyMethodDef methods[] = {
    {"radix_pass", (PyCFunction)(void (*)(void))radix_pass, METH_FASTCALL,
     "radix_pass(key, shift, order, out): out = order stably sorted by the 16-bit digit of key at shift"},
    {"pair", (PyCFunction)(void (*)(void))pair, METH_FASTCALL,
     "pair(key, r0, luts, thresholds, bounds, t0, t1, h0, h1): each code's total of the positions' Poisson "
     "weights into h0[r, t0[i]] and h1[r, t1[i]] for resamples r0 .. (the rows are overwritten)"},
    {"single", (PyCFunction)(void (*)(void))single, METH_FASTCALL,
     "single(key, r0, luts, thresholds, bounds, t0, h0): pair() for one table"},
    {"vector", (PyCFunction)(void (*)(void))vector, METH_FASTCALL,
     "vector(level): draw with the scalar loop (0), AVX2 (1) or AVX-512 (2), or the best this CPU has "
     "below it; None leaves it; returns the level in use"},
    {"rank_sums", (PyCFunction)(void (*)(void))rank_sums, METH_FASTCALL,
     "rank_sums(pos, neg, out): a ranking block's six sums per row, as gate.metrics.compiler._rank_sums"},
    {"tie_ranks", (PyCFunction)(void (*)(void))tie_ranks, METH_FASTCALL,
     "tie_ranks(scores, out, limit): each score's descending tie-group index into out; the number of "
     "distinct scores, or -1 when there are more than limit"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_ckernels",
                                    "Compiled Poisson-bootstrap and ranking kernels (see _ckernels.c).", -1, methods};

PyMODINIT_FUNC PyInit__ckernels(void) { return PyModule_Create(&module); }
