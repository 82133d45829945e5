/* Multi-point loops over libdecaf's ristretto255 points, for solvency.crypto.group_decaf.
 *
 * pippenger: the verifier's sum_i k_i P_i, VARIABLE time, for PUBLIC scalars only.
 * fold (tables = 0): [P_i + k_i Q_i], variable time (libdecaf's non-secret double
 *   multiplication), for public k_i (the prover folding generators by its challenges).
 * straus_ct, straus_tabled_ct: CONSTANT-time sum_i k_i P_i (secret scalars) by Straus's
 *   interleaved windows over libdecaf's point_add, point_double and point_negate, with
 *   constant-time recoding and table reads of our own (see "constant-time Straus" below).
 * masked_sum: CONSTANT-time sum of the points whose (secret) bit is 1, by masked selects.
 * msm_pairs_ct, msm_table_ct, fold (tables = 1): CONSTANT-time loops over libdecaf's
 *   constant-time point_double_scalarmul, point_scalarmul and precomputed_scalarmul; the C
 *   only saves the per-term ctypes calls, it adds no arithmetic of its own.
 *
 * Pippenger's bucket method with signed radix-2^c digits (Bernstein et al., "Faster batch
 * forgery identification", 2012, section 4): for each digit position j, most significant
 * first, acc = 2^c acc + sum_b b * bucket_b, where P_i goes into bucket |d_ij| (subtracted
 * when d_ij < 0). Its running time depends on the scalars, so it must never see a secret.
 *
 * It calls libdecaf's point functions through pointers handed over by group_decaf (bind()),
 * so it needs neither libdecaf's headers nor linking against it. The twins are
 * group_decaf._pippenger (the same algorithm in Python) and group_decaf._msm_ct_py and
 * _msm_table_ct_py (libdecaf's multiplications through ctypes); the tests check all of them
 * against libsodium.
 *
 * A point is libdecaf's decaf_255_point_t: 256 bytes, 32-byte aligned.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define POINT_SIZE 256
#define POINT_ALIGN 32

/* Four 64-bit lanes: the Straus table reads go 32 bytes at a time (points and table entries
 * are 32-byte aligned). The compiler splits them into two 16-byte operations (SSE2, NEON) or
 * plain words where the target has nothing wider; on x86-64 the Straus loop is also compiled
 * for AVX2 and the loader picks that copy on CPUs that have it (STRAUS_CLONES). */
typedef uint64_t lanes_t __attribute__((vector_size(32)));
#define LANES (POINT_SIZE / 32)

#if defined(__x86_64__) && defined(__has_attribute)
#if __has_attribute(target_clones)
#define STRAUS_CLONES __attribute__((target_clones("avx2", "default")))
#endif
#endif
#ifndef STRAUS_CLONES
#define STRAUS_CLONES
#endif

typedef void (*binop_t)(void *out, const void *a, const void *b);
typedef void (*unop_t)(void *out, const void *a);

static binop_t point_add = NULL;
static binop_t point_sub = NULL;
static unop_t point_double = NULL;
static unop_t point_negate = NULL;
static const uint8_t *point_identity = NULL;
/* The identity again, copied by bind() into storage aligned for lanes_t. */
static lanes_t identity_lanes[LANES];

typedef int32_t (*scalar_decode_t)(void *s, const uint8_t ser[32]);
typedef void (*precomputed_mul_t)(void *out, const void *table, const void *s);
typedef void (*double_mul_t)(void *out, const void *P, const void *s1, const void *Q, const void *s2);
typedef void (*mul_t)(void *out, const void *P, const void *s);
typedef void (*base_double_vt_t)(void *out, const void *s1, const void *P, const void *s2);
typedef int32_t (*point_decode_t)(void *out, const uint8_t ser[32], uint64_t allow_identity);

static scalar_decode_t scalar_decode = NULL;
static precomputed_mul_t precomputed_mul = NULL;
static double_mul_t double_mul = NULL;
static mul_t point_mul = NULL;
static base_double_vt_t base_double_vt = NULL;
static point_decode_t point_decode = NULL;

/* Zero memory that held secrets, in a way the compiler may not drop as a dead store. */
static void wipe(void *p, size_t len) {
    memset(p, 0, len);
    __asm__ __volatile__("" : : "r"(p) : "memory");
}

static void *aligned_points(size_t count) {
    void *p = NULL;
    if (posix_memalign(&p, POINT_ALIGN, count * POINT_SIZE) != 0)
        return NULL;
    return p;
}

/* bind(add, sub, double, negate, identity): addresses of decaf_255_point_add, _sub, _double,
 * _negate and of decaf_255_point_identity, from ctypes. */
static PyObject *bind(PyObject *self, PyObject *args) {
    unsigned long long add, sub, dbl, negate, identity;
    if (!PyArg_ParseTuple(args, "KKKKK", &add, &sub, &dbl, &negate, &identity))
        return NULL;
    if (!add || !sub || !dbl || !negate || !identity) {
        PyErr_SetString(PyExc_ValueError, "null libdecaf function");
        return NULL;
    }
    point_add = (binop_t)(uintptr_t)add;
    point_sub = (binop_t)(uintptr_t)sub;
    point_double = (unop_t)(uintptr_t)dbl;
    point_negate = (unop_t)(uintptr_t)negate;
    point_identity = (const uint8_t *)(uintptr_t)identity;
    memcpy(identity_lanes, point_identity, POINT_SIZE);
    Py_RETURN_NONE;
}

/* bind_mul(scalar_decode, precomputed_scalarmul, point_double_scalarmul, point_scalarmul,
 * base_double_scalarmul_non_secret): addresses of those libdecaf functions. */
static PyObject *bind_mul(PyObject *self, PyObject *args) {
    unsigned long long a, b, c, d, e;
    if (!PyArg_ParseTuple(args, "KKKKK", &a, &b, &c, &d, &e))
        return NULL;
    if (!a || !b || !c || !d || !e) {
        PyErr_SetString(PyExc_ValueError, "null libdecaf function");
        return NULL;
    }
    scalar_decode = (scalar_decode_t)(uintptr_t)a;
    precomputed_mul = (precomputed_mul_t)(uintptr_t)b;
    double_mul = (double_mul_t)(uintptr_t)c;
    point_mul = (mul_t)(uintptr_t)d;
    base_double_vt = (base_double_vt_t)(uintptr_t)e;
    Py_RETURN_NONE;
}

/* bind_decode(point_decode): the address of decaf_255_point_decode. */
static PyObject *bind_decode(PyObject *self, PyObject *args) {
    unsigned long long a;
    if (!PyArg_ParseTuple(args, "K", &a))
        return NULL;
    if (!a) {
        PyErr_SetString(PyExc_ValueError, "null libdecaf function");
        return NULL;
    }
    point_decode = (point_decode_t)(uintptr_t)a;
    Py_RETURN_NONE;
}

/* decode_many(outs, data): decode n 32-byte encodings into the points at outs, as
 * group_decaf.decode does one at a time (bit 255 set refused, the identity allowed).
 * Returns -1 when every encoding is valid, else the index of the first invalid one. */
static PyObject *decode_many(PyObject *self, PyObject *args) {
    Py_buffer outs, data;
    if (point_decode == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "bind_decode() was not called");
        return NULL;
    }
    if (!PyArg_ParseTuple(args, "y*y*", &outs, &data))
        return NULL;
    size_t n = (size_t)outs.len / sizeof(uint64_t);
    long bad = -1;
    if ((size_t)outs.len != n * sizeof(uint64_t) || (size_t)data.len != 32 * n) {
        PyBuffer_Release(&outs);
        PyBuffer_Release(&data);
        PyErr_SetString(PyExc_ValueError, "need n addresses and n 32-byte encodings");
        return NULL;
    }
    void *const *O = (void *const *)outs.buf;
    const uint8_t *D = (const uint8_t *)data.buf;
    for (size_t i = 0; i < n; i++) {
        const uint8_t *ser = D + 32 * i;
        if ((ser[31] & 0x80) || (uint32_t)point_decode(O[i], ser, UINT64_MAX) != 0xFFFFFFFFu) {
            bad = (long)i;
            break;
        }
    }
    PyBuffer_Release(&outs);
    PyBuffer_Release(&data);
    return PyLong_FromLong(bad);
}

/* libdecaf's scalar_t: four 64-bit limbs (decaf_255_scalar_decode fills it). */
typedef struct {
    uint64_t limb[4];
} scalar_t;

/* Parse (out, addresses, scalars) and check n addresses and n 32-byte scalars. */
static int parse_terms(PyObject *args, unsigned long long *out, Py_buffer *pts, Py_buffer *sc,
                       size_t *n) {
    if (scalar_decode == NULL || point_add == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "bind() and bind_mul() were not called");
        return 0;
    }
    if (!PyArg_ParseTuple(args, "Ky*y*", out, pts, sc))
        return 0;
    *n = (size_t)pts->len / sizeof(uint64_t);
    if ((size_t)pts->len != *n * sizeof(uint64_t) || (size_t)sc->len != 32 * *n) {
        PyErr_SetString(PyExc_ValueError, "need n addresses and n 32-byte scalars");
        PyBuffer_Release(pts);
        PyBuffer_Release(sc);
        return 0;
    }
    return 1;
}

/* The set-up and tear-down shared by msm_table_ct and msm_pairs_ct: parse (out, addresses,
 * scalars), run body(acc, term, addresses, scalars, n) on an accumulator that starts at the
 * identity and a scratch point, write acc to out and wipe both (they depend on the scalars). */
typedef void (*terms_body_t)(uint8_t *acc, uint8_t *term, const void *const *P, const uint8_t *S,
                             size_t n);

static PyObject *sum_terms(PyObject *args, terms_body_t body) {
    unsigned long long out_addr;
    Py_buffer pts, sc;
    size_t n;
    if (!parse_terms(args, &out_addr, &pts, &sc, &n))
        return NULL;
    uint8_t *work = aligned_points(2);
    if (!work) {
        PyBuffer_Release(&pts);
        PyBuffer_Release(&sc);
        return PyErr_NoMemory();
    }
    uint8_t *acc = work, *term = work + POINT_SIZE;
    memcpy(acc, point_identity, POINT_SIZE);
    body(acc, term, (const void *const *)pts.buf, (const uint8_t *)sc.buf, n);
    memcpy((void *)(uintptr_t)out_addr, acc, POINT_SIZE);
    wipe(work, 2 * POINT_SIZE);
    free(work);
    PyBuffer_Release(&pts);
    PyBuffer_Release(&sc);
    Py_RETURN_NONE;
}

/* acc += sum k_i T_i, each term libdecaf's constant-time precomputed_scalarmul. */
static void table_terms(uint8_t *acc, uint8_t *term, const void *const *T, const uint8_t *S,
                        size_t n) {
    scalar_t k;
    for (size_t i = 0; i < n; i++) {
        scalar_decode(&k, S + 32 * i);
        precomputed_mul(term, T[i], &k);
        point_add(acc, acc, term);
    }
    wipe(&k, sizeof k);
}

/* acc += sum k_i P_i, constant-time: terms in pairs through point_double_scalarmul, an odd
 * last one through point_scalarmul. */
static void pair_terms(uint8_t *acc, uint8_t *term, const void *const *P, const uint8_t *S,
                       size_t n) {
    scalar_t k1, k2;
    size_t i = 0;
    for (; i + 1 < n; i += 2) {
        scalar_decode(&k1, S + 32 * i);
        scalar_decode(&k2, S + 32 * (i + 1));
        double_mul(term, P[i], &k1, P[i + 1], &k2);
        point_add(acc, acc, term);
    }
    if (i < n) {
        scalar_decode(&k1, S + 32 * i);
        point_mul(term, P[i], &k1);
        point_add(acc, acc, term);
    }
    wipe(&k1, sizeof k1);
    wipe(&k2, sizeof k2);
}

/* msm_table_ct(out, tables, scalars): out = sum k_i P_i from P_i's precomputed tables,
 * constant-time in the scalars. */
static PyObject *msm_table_ct(PyObject *self, PyObject *args) {
    return sum_terms(args, table_terms);
}

/* msm_pairs_ct(out, points, scalars): out = sum k_i P_i, constant-time in the scalars, by
 * libdecaf's own multiplications (pair_terms); the twin of straus_ct, and faster than it for
 * one or two terms (the shared doublings are then not worth their cost). */
static PyObject *msm_pairs_ct(PyObject *self, PyObject *args) {
    return sum_terms(args, pair_terms);
}

/* fold(outs, Ps, Qs, scalars, tables): out_i = P_i + k_i Q_i. With tables = 0, Q_i are
 * points and k_i Q_i is libdecaf's variable-time base_double_scalarmul_non_secret (public
 * k_i only); with tables = 1, Q_i are precomputed tables and the multiplication is the
 * constant-time precomputed_scalarmul (faster for fixed generators). */
static PyObject *fold(PyObject *self, PyObject *args) {
    Py_buffer outs, ps, qs, sc;
    int tables;
    if (scalar_decode == NULL || point_add == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "bind() and bind_mul() were not called");
        return NULL;
    }
    if (!PyArg_ParseTuple(args, "y*y*y*y*p", &outs, &ps, &qs, &sc, &tables))
        return NULL;
    size_t n = (size_t)outs.len / sizeof(uint64_t);
    PyObject *result = NULL;
    if ((size_t)outs.len != n * sizeof(uint64_t) || ps.len != outs.len || qs.len != outs.len ||
        (size_t)sc.len != 32 * n) {
        PyErr_SetString(PyExc_ValueError, "need n addresses of each kind and n scalars");
        goto done;
    }
    {
        void *const *O = (void *const *)outs.buf;
        const void *const *P = (const void *const *)ps.buf;
        const void *const *Q = (const void *const *)qs.buf;
        const uint8_t *S = (const uint8_t *)sc.buf;
        scalar_t k, zero;
        memset(&zero, 0, sizeof zero);
        for (size_t i = 0; i < n; i++) {
            scalar_decode(&k, S + 32 * i);
            if (tables)
                precomputed_mul(O[i], Q[i], &k);
            else
                base_double_vt(O[i], &zero, Q[i], &k);
            point_add(O[i], O[i], P[i]);
        }
    }
    Py_INCREF(Py_None);
    result = Py_None;
done:
    PyBuffer_Release(&outs);
    PyBuffer_Release(&ps);
    PyBuffer_Release(&qs);
    PyBuffer_Release(&sc);
    return result;
}

/* The digit width c minimizing about (253/c + 2)(n + 2^c + c) group operations. */
static int window_for(size_t n) {
    int best = 2;
    double best_cost = 0;
    for (int c = 2; c <= 14; c++) {
        double cost = (253.0 / c + 2) * ((double)n + (double)(1u << c) + c);
        if (c == 2 || cost < best_cost) {
            best = c;
            best_cost = cost;
        }
    }
    return best;
}

/* Bits [pos, pos + c) of a 256-bit little-endian scalar given as four 64-bit limbs. */
static uint32_t bits_at(const uint64_t limbs[4], int pos, int c) {
    int limb = pos / 64, off = pos % 64;
    if (limb >= 4)
        return 0;
    uint64_t v = limbs[limb] >> off;
    if (off + c > 64 && limb + 1 < 4)
        v |= limbs[limb + 1] << (64 - off);
    return (uint32_t)(v & ((1u << c) - 1));
}

/* pippenger(out, points, scalars): out = sum_i k_i P_i, variable time.
 * out: address of a point; points: n native 64-bit addresses of points; scalars: n 32-byte
 * little-endian scalars below 2^253 (reduced mod l). */
static PyObject *pippenger(PyObject *self, PyObject *args) {
    unsigned long long out_addr;
    Py_buffer pts, sc;
    if (point_add == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "bind() was not called");
        return NULL;
    }
    if (!PyArg_ParseTuple(args, "Ky*y*", &out_addr, &pts, &sc))
        return NULL;
    PyObject *result = NULL;
    int16_t *digits = NULL;
    uint8_t *buckets = NULL, *work = NULL;
    char *used = NULL;
    size_t n = (size_t)pts.len / sizeof(uint64_t);
    if ((size_t)pts.len != n * sizeof(uint64_t) || (size_t)sc.len != 32 * n) {
        PyErr_SetString(PyExc_ValueError, "need n point addresses and n 32-byte scalars");
        goto done;
    }
    {
        const uint8_t *const *P = (const uint8_t *const *)pts.buf;
        const uint8_t *S = (const uint8_t *)sc.buf;
        uint8_t *out = (uint8_t *)(uintptr_t)out_addr;
        int c = window_for(n);
        int half = 1 << (c - 1);
        int count = 253 / c + 2; /* a signed top digit may carry one position past 253 bits */
        digits = malloc(n * count * sizeof(int16_t) + 1);
        buckets = aligned_points((size_t)half + 1);
        work = aligned_points(3);
        used = malloc((size_t)half + 1);
        if (!digits || !buckets || !work || !used) {
            PyErr_NoMemory();
            goto done;
        }
        for (size_t i = 0; i < n; i++) {
            uint64_t limbs[4];
            memcpy(limbs, S + 32 * i, 32); /* x86-64 and aarch64 are little-endian */
            uint32_t carry = 0;
            for (int j = 0; j < count; j++) {
                int32_t d = (int32_t)(bits_at(limbs, j * c, c) + carry);
                if (d >= half) {
                    d -= 1 << c;
                    carry = 1;
                } else {
                    carry = 0;
                }
                digits[i * count + j] = (int16_t)d;
            }
        }
        uint8_t *acc = work, *running = work + POINT_SIZE, *sum = work + 2 * POINT_SIZE;
        int started = 0;
        Py_BEGIN_ALLOW_THREADS
        memcpy(acc, point_identity, POINT_SIZE);
        for (int j = count - 1; j >= 0; j--) {
            if (started)
                for (int t = 0; t < c; t++)
                    point_double(acc, acc);
            memset(used, 0, (size_t)half + 1);
            for (size_t i = 0; i < n; i++) {
                int d = digits[i * count + j];
                if (d == 0)
                    continue;
                int b = d > 0 ? d : -d;
                uint8_t *bucket = buckets + (size_t)b * POINT_SIZE;
                const uint8_t *base = used[b] ? bucket : point_identity;
                if (d > 0)
                    point_add(bucket, base, P[i]);
                else
                    point_sub(bucket, base, P[i]);
                used[b] = 1;
            }
            /* sum_b b * bucket_b as running sums from the top bucket down */
            int any = 0;
            for (int b = half; b >= 1; b--) {
                if (used[b]) {
                    if (any)
                        point_add(running, running, buckets + (size_t)b * POINT_SIZE);
                    else
                        memcpy(running, buckets + (size_t)b * POINT_SIZE, POINT_SIZE);
                }
                if (used[b] && !any) {
                    memcpy(sum, running, POINT_SIZE);
                    any = 1;
                } else if (any) {
                    point_add(sum, sum, running);
                }
            }
            if (any) {
                point_add(acc, acc, sum);
                started = 1;
            }
        }
        memcpy(out, acc, POINT_SIZE);
        Py_END_ALLOW_THREADS
    }
    Py_INCREF(Py_None);
    result = Py_None;
done:
    free(digits);
    free(buckets);
    free(work);
    free(used);
    PyBuffer_Release(&pts);
    PyBuffer_Release(&sc);
    return result;
}

/* --- constant-time Straus (secret scalars) ------------------------------------------------
 *
 * straus_ct(out, points, scalars, w): out = sum_i k_i P_i with every k_i secret (the prover's
 * inner-product vectors, its blindings). Straus's interleaved fixed-window method (Straus,
 * 1964; the "interleaving" of Moeller, 2001) with signed radix-2^w digits:
 *
 *     k_i = sum_j d_ij 2^(w j),  d_ij in [-2^(w-1), 2^(w-1)),  T_i = (P_i, 2 P_i, .., 2^(w-1) P_i)
 *     acc = sum_i d_i,top P_i;  for each lower j: acc = 2^w acc + sum_i d_ij P_i
 *
 * The w doublings per digit position are shared by all the points, so a term costs about
 * 253/w additions where libdecaf's point_scalarmul costs 253 doublings and 253/w additions.
 * straus_tabled_ct does the same from tables built once (straus_tables: the prover's fixed
 * generators), which saves the 2^(w-1) - 1 table operations a term and affords w = 5.
 *
 * Constant time. What the loops do depends only on n and w (public): the digits are
 * recoded with arithmetic only (no branch, no index on a scalar bit); every digit position
 * is processed, zero digits included; each d_ij P_i is read from T_i by scanning all its
 * 2^(w-1) entries with masked selects (the identity when d_ij = 0), negated with
 * point_negate every time and the negation kept or not by a mask; libdecaf's point_add and
 * point_double are complete and branch-free. The counters below let a test check that the
 * number of each operation does not depend on the scalars. Digits and the selected terms
 * are wiped before returning.
 */

/* How many additions, doublings, negations, table entries scanned and digits recoded the
 * Straus routine did (a test's view of its control flow). Each call counts in its own struct
 * (it runs without the GIL) and adds it to `counted` once it holds the GIL again. */
typedef struct {
    unsigned long long add, dbl, negate, entries, digits;
} counts_t;
static counts_t counted;

/* All ones if a == b, else zero, without a branch (a, b < 2^32). */
static inline uint64_t eq_mask(uint32_t a, uint32_t b) {
    uint64_t x = (uint64_t)(a ^ b); /* zero iff equal, else below 2^32 */
    uint64_t mask = (uint64_t)0 - ((x - 1) >> 63);
    __asm__("" : "+r"(mask)); /* keep the compiler from turning the mask into a branch */
    return mask;
}


/* out ^= (out ^ in) & mask, over a whole point. */
static inline __attribute__((always_inline)) void masked_copy(lanes_t *out, const lanes_t *in,
                                                           uint64_t mask) {
    lanes_t m = {mask, mask, mask, mask};
    for (int t = 0; t < LANES; t++)
        out[t] ^= (out[t] ^ in[t]) & m;
}

#define MAX_HALF 32 /* table entries for the widest window, w = 6 */

/* out = |d| P from T = (P, 2P, .., half P), negated when d < 0: every entry is read, and
 * exactly one of the identity and the entries passes its mask (OR of masked entries).
 * The loop goes lane by lane, so each output lane stays in a register; always inlined so
 * that each call site's constant `half` unrolls the scan. */
static inline __attribute__((always_inline)) void
select_term(uint8_t *out, uint8_t *neg, const uint8_t *T, int half, int32_t d, counts_t *c) {
    uint32_t sign = (uint32_t)d >> 31;
    uint32_t abs = ((uint32_t)d ^ (0u - sign)) + sign;
    lanes_t masks[MAX_HALF + 1];
    for (int e = 0; e <= half; e++) {
        uint64_t m = eq_mask(abs, (uint32_t)e);
        masks[e] = (lanes_t){m, m, m, m};
    }
    const lanes_t *id = identity_lanes;
    const lanes_t *entries = (const lanes_t *)T;
    lanes_t *o = (lanes_t *)out;
    for (int t = 0; t < LANES; t++) {
        lanes_t r = id[t] & masks[0];
#pragma GCC unroll 32
        for (int e = 1; e <= half; e++)
            r |= entries[(size_t)(e - 1) * LANES + (size_t)t] & masks[e];
        o[t] = r;
    }
    c->entries += (unsigned long long)half;
    point_negate(neg, out);
    c->negate++;
    masked_copy(o, (const lanes_t *)neg, eq_mask(sign, 1));
}

/* Signed radix-2^w digits of a scalar below 2^253, without branches on its bits. */
static void recode_signed(int8_t *digits, const uint8_t scalar[32], int w, int count,
                          counts_t *c) {
    uint64_t limbs[4];
    memcpy(limbs, scalar, 32); /* x86-64 and aarch64 are little-endian */
    uint32_t carry = 0, half = 1u << (w - 1);
    for (int j = 0; j < count; j++) {
        uint32_t v = bits_at(limbs, j * w, w) + carry; /* in [0, 2^w] */
        carry = (v + half) >> w;                        /* 1 iff v >= half */
        digits[j] = (int8_t)((int32_t)v - (int32_t)(carry << w));
    }
    c->digits += (unsigned long long)count;
    wipe(limbs, sizeof limbs);
}

/* T = (P, 2 P, .., half P), half = 2^(w-1): the points are public, so this may take any time. */
static void build_table(uint8_t *T, const uint8_t *P, int half, counts_t *c) {
    memcpy(T, P, POINT_SIZE);
    if (half > 1) {
        point_double(T + POINT_SIZE, T);
        c->dbl++;
    }
    for (int e = 2; e < half; e++) {
        point_add(T + (size_t)e * POINT_SIZE, T + (size_t)(e - 1) * POINT_SIZE, T);
        c->add++;
    }
}

/* The Straus loop: out = sum_i k_i P_i from the tables T_i of build_table, given either as
 * one block of n tables (`block`) or, when block is NULL, as n addresses (`tables`). */
STRAUS_CLONES static void straus_loop(uint8_t *out, uint8_t *work, const int8_t *digits, int count,
                        const uint8_t *block, const uint8_t *const *tables, size_t n, int w,
                        counts_t *c) {
    uint8_t *acc = work, *term = work + POINT_SIZE, *neg = work + 2 * POINT_SIZE;
    size_t table_size = ((size_t)1 << (w - 1)) * POINT_SIZE;
    memcpy(acc, point_identity, POINT_SIZE);
    for (int j = count - 1; j >= 0; j--) {
        if (j < count - 1) {
            for (int t = 0; t < w; t++)
                point_double(acc, acc);
            c->dbl += (unsigned long long)w;
        }
        for (size_t i = 0; i < n; i++) {
            const uint8_t *T = block ? block + i * table_size : tables[i];
            int32_t d = digits[i * (size_t)count + (size_t)j];
            switch (w) { /* the window is public: a constant `half` for each case */
            case 2: select_term(term, neg, T, 2, d, c); break;
            case 3: select_term(term, neg, T, 4, d, c); break;
            case 4: select_term(term, neg, T, 8, d, c); break;
            case 5: select_term(term, neg, T, 16, d, c); break;
            default: select_term(term, neg, T, 32, d, c); break;
            }
            point_add(acc, acc, term);
            c->add++;
        }
    }
    memcpy(out, acc, POINT_SIZE);
}

/* straus_ct(out, points, scalars, w) builds the tables of the points first;
 * straus_tabled_ct(out, tables, scalars, w) takes tables made by straus_tables with the
 * same w (the fixed generators' tables, built once). Both: out = sum k_i P_i,
 * constant-time in the scalars. */
static PyObject *straus_run(PyObject *args, int tabled) {
    unsigned long long out_addr;
    Py_buffer pts, sc;
    int w;
    if (point_add == NULL || point_negate == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "bind() was not called");
        return NULL;
    }
    if (!PyArg_ParseTuple(args, "Ky*y*i", &out_addr, &pts, &sc, &w))
        return NULL;
    PyObject *result = NULL;
    int8_t *digits = NULL;
    uint8_t *block = NULL, *work = NULL;
    size_t n = (size_t)pts.len / sizeof(uint64_t);
    if ((size_t)pts.len != n * sizeof(uint64_t) || (size_t)sc.len != 32 * n) {
        PyErr_SetString(PyExc_ValueError, "need n addresses and n 32-byte scalars");
        goto done;
    }
    if (w < 2 || w > 6) {
        PyErr_SetString(PyExc_ValueError, "window must be in [2, 6]");
        goto done;
    }
    {
        const uint8_t *S = (const uint8_t *)sc.buf;
        /* Every scalar must be below 2^253 (reduced mod l), so that `count` signed digits
         * hold it with the last carry. One check of all top bytes together: it reveals
         * only whether some scalar was out of range, which the caller never passes. */
        uint8_t high = 0;
        for (size_t i = 0; i < n; i++)
            high |= S[32 * i + 31];
        if (high & 0xE0) {
            PyErr_SetString(PyExc_ValueError, "scalars must be below 2^253");
            goto done;
        }
        const uint8_t *const *A = (const uint8_t *const *)pts.buf;
        int half = 1 << (w - 1);
        int count = (254 + w - 1) / w; /* 253 bits and the top digit's carry */
        digits = malloc(n * (size_t)count + 1);
        work = aligned_points(3);
        if (!tabled)
            block = aligned_points(n * (size_t)half + 1);
        if (!digits || !work || (!tabled && !block)) {
            PyErr_NoMemory();
            goto done;
        }
        counts_t c = {0, 0, 0, 0, 0};
        Py_BEGIN_ALLOW_THREADS
        for (size_t i = 0; i < n; i++) {
            recode_signed(digits + i * (size_t)count, S + 32 * i, w, count, &c);
            if (!tabled)
                build_table(block + i * (size_t)half * POINT_SIZE, A[i], half, &c);
        }
        straus_loop((uint8_t *)(uintptr_t)out_addr, work, digits, count, block,
                    tabled ? A : NULL, n, w, &c);
        wipe(work, 3 * POINT_SIZE);
        wipe(digits, n * (size_t)count);
        Py_END_ALLOW_THREADS
        counted.add += c.add;
        counted.dbl += c.dbl;
        counted.negate += c.negate;
        counted.entries += c.entries;
        counted.digits += c.digits;
    }
    Py_INCREF(Py_None);
    result = Py_None;
done:
    free(digits);
    free(block);
    free(work);
    PyBuffer_Release(&pts);
    PyBuffer_Release(&sc);
    return result;
}

static PyObject *straus_ct(PyObject *self, PyObject *args) { return straus_run(args, 0); }

static PyObject *straus_tabled_ct(PyObject *self, PyObject *args) { return straus_run(args, 1); }

/* straus_tables(tables, points, w): build at each address of `tables` (2^(w-1) points of
 * room, 32-byte aligned) the table of the point at the same position of `points`. */
static PyObject *straus_tables(PyObject *self, PyObject *args) {
    Py_buffer tbl, pts;
    int w;
    if (point_add == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "bind() was not called");
        return NULL;
    }
    if (!PyArg_ParseTuple(args, "y*y*i", &tbl, &pts, &w))
        return NULL;
    size_t n = (size_t)pts.len / sizeof(uint64_t);
    PyObject *result = NULL;
    if ((size_t)pts.len != n * sizeof(uint64_t) || tbl.len != pts.len) {
        PyErr_SetString(PyExc_ValueError, "need as many table addresses as point addresses");
        goto done;
    }
    if (w < 2 || w > 6) {
        PyErr_SetString(PyExc_ValueError, "window must be in [2, 6]");
        goto done;
    }
    {
        uint8_t *const *T = (uint8_t *const *)tbl.buf;
        const uint8_t *const *P = (const uint8_t *const *)pts.buf;
        counts_t unused = {0, 0, 0, 0, 0};
        for (size_t i = 0; i < n; i++)
            build_table(T[i], P[i], 1 << (w - 1), &unused);
    }
    Py_INCREF(Py_None);
    result = Py_None;
done:
    PyBuffer_Release(&tbl);
    PyBuffer_Release(&pts);
    return result;
}

/* masked_sum(out, points, bits): out = sum of the P_i whose bit (one byte each, 0 or 1) is
 * 1, CONSTANT-time in the bits (the prover's bits of v, for its commitment A): each term is
 * the identity or P_i by a masked select and is added either way. One check of all the bytes
 * together refuses anything but 0 and 1 (it reveals only that some byte was invalid). */
static PyObject *masked_sum(PyObject *self, PyObject *args) {
    unsigned long long out_addr;
    Py_buffer pts, bits;
    if (point_add == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "bind() was not called");
        return NULL;
    }
    if (!PyArg_ParseTuple(args, "Ky*y*", &out_addr, &pts, &bits))
        return NULL;
    PyObject *result = NULL;
    uint8_t *work = NULL;
    size_t n = (size_t)pts.len / sizeof(uint64_t);
    if ((size_t)pts.len != n * sizeof(uint64_t) || (size_t)bits.len != n) {
        PyErr_SetString(PyExc_ValueError, "need n point addresses and n bits");
        goto done;
    }
    {
        const uint8_t *B = (const uint8_t *)bits.buf;
        uint8_t any = 0;
        for (size_t i = 0; i < n; i++)
            any |= B[i];
        if (any > 1) {
            PyErr_SetString(PyExc_ValueError, "bits must be 0 or 1");
            goto done;
        }
        work = aligned_points(2);
        if (!work) {
            PyErr_NoMemory();
            goto done;
        }
        const uint8_t *const *P = (const uint8_t *const *)pts.buf;
        uint8_t *acc = work, *term = work + POINT_SIZE;
        memcpy(acc, identity_lanes, POINT_SIZE);
        for (size_t i = 0; i < n; i++) {
            memcpy(term, identity_lanes, POINT_SIZE);
            masked_copy((lanes_t *)term, (const lanes_t *)P[i], (uint64_t)0 - (uint64_t)B[i]);
            point_add(acc, acc, term);
        }
        memcpy((void *)(uintptr_t)out_addr, acc, POINT_SIZE);
        wipe(work, 2 * POINT_SIZE);
    }
    Py_INCREF(Py_None);
    result = Py_None;
done:
    free(work);
    PyBuffer_Release(&pts);
    PyBuffer_Release(&bits);
    return result;
}

/* straus_counts(): (additions, doublings, negations, table entries scanned, digits recoded)
 * done by straus_ct since the last call; resets them. */
static PyObject *straus_counts(PyObject *self, PyObject *args) {
    PyObject *r = Py_BuildValue("(KKKKK)", counted.add, counted.dbl, counted.negate,
                                counted.entries, counted.digits);
    memset(&counted, 0, sizeof counted);
    return r;
}

static PyMethodDef methods[] = {
    {"bind", bind, METH_VARARGS, "Hand over libdecaf's add, sub, double and identity."},
    {"bind_mul", bind_mul, METH_VARARGS, "Hand over libdecaf's multiplications."},
    {"bind_decode", bind_decode, METH_VARARGS, "Hand over libdecaf's point decoder."},
    {"decode_many", decode_many, METH_VARARGS, "Decode n encodings; -1 or the first bad index."},
    {"msm_table_ct", msm_table_ct, METH_VARARGS, "out = sum k_i T_i, constant-time."},
    {"msm_pairs_ct", msm_pairs_ct, METH_VARARGS,
     "out = sum k_i P_i, constant-time (libdecaf's multiplications, in pairs)."},
    {"straus_ct", straus_ct, METH_VARARGS,
     "out = sum k_i P_i, constant-time (Straus, signed w-bit windows)."},
    {"straus_tabled_ct", straus_tabled_ct, METH_VARARGS,
     "out = sum k_i P_i from straus_tables' tables, constant-time."},
    {"straus_tables", straus_tables, METH_VARARGS, "Build Straus tables of points."},
    {"masked_sum", masked_sum, METH_VARARGS,
     "out = sum of the points whose bit is 1, constant-time in the bits."},
    {"straus_counts", straus_counts, METH_NOARGS,
     "Operations done by straus_ct since the last call (a test's view of its control flow)."},
    {"fold", fold, METH_VARARGS, "out_i = P_i + k_i Q_i (see the source)."},
    {"pippenger", pippenger, METH_VARARGS,
     "out = sum k_i P_i in variable time (public scalars only)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_decafmsm",
    "Multi-point loops over libdecaf points (see the source for which are constant-time).", -1, methods,
};

PyMODINIT_FUNC PyInit__decafmsm(void) { return PyModule_Create(&module); }
