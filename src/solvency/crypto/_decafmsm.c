/* Multi-point loops over libdecaf's ristretto255 points, for solvency.crypto.group_decaf.
 *
 * pippenger: the verifier's sum_i k_i P_i, VARIABLE time, for PUBLIC scalars only.
 * fold_vartime: [P_i + k_i Q_i], variable time (libdecaf's non-secret double multiplication),
 *   for public k_i (the prover folding generators by its Fiat-Shamir challenges).
 * msm_ct, msm_table_ct, fold_table: CONSTANT-time loops (secret scalars) over libdecaf's
 *   constant-time point_double_scalarmul, point_scalarmul and precomputed_scalarmul; the C
 *   only saves the per-term ctypes calls, it adds no arithmetic of its own.
 *
 * Pippenger's bucket method with signed radix-2^c digits (Bernstein et al., "Faster batch
 * forgery identification", 2012, section 4): for each digit position j, most significant
 * first, acc = 2^c acc + sum_b b * bucket_b, where P_i goes into bucket |d_ij| (subtracted
 * when d_ij < 0). Its running time depends on the scalars, so it must never see a secret.
 *
 * It calls libdecaf's point functions through pointers handed over by group_decaf (bind()),
 * so it needs neither libdecaf's headers nor linking against it. Its twins are
 * group_decaf._pippenger (the same algorithm in Python) and group_decaf.msm_ct; the tests
 * check all three against libsodium.
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

typedef void (*binop_t)(void *out, const void *a, const void *b);
typedef void (*unop_t)(void *out, const void *a);

static binop_t point_add = NULL;
static binop_t point_sub = NULL;
static unop_t point_double = NULL;
static const uint8_t *point_identity = NULL;

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

static void *aligned_points(size_t count) {
    void *p = NULL;
    if (posix_memalign(&p, POINT_ALIGN, count * POINT_SIZE) != 0)
        return NULL;
    return p;
}

/* bind(add, sub, double, identity): addresses of decaf_255_point_add, _sub, _double and of
 * decaf_255_point_identity, from ctypes. */
static PyObject *bind(PyObject *self, PyObject *args) {
    unsigned long long add, sub, dbl, identity;
    if (!PyArg_ParseTuple(args, "KKKK", &add, &sub, &dbl, &identity))
        return NULL;
    if (!add || !sub || !dbl || !identity) {
        PyErr_SetString(PyExc_ValueError, "null libdecaf function");
        return NULL;
    }
    point_add = (binop_t)(uintptr_t)add;
    point_sub = (binop_t)(uintptr_t)sub;
    point_double = (unop_t)(uintptr_t)dbl;
    point_identity = (const uint8_t *)(uintptr_t)identity;
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

/* msm_table_ct(out, tables, scalars): out = sum k_i P_i from P_i's precomputed tables,
 * constant-time in the scalars. */
static PyObject *msm_table_ct(PyObject *self, PyObject *args) {
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
    const void *const *T = (const void *const *)pts.buf;
    const uint8_t *S = (const uint8_t *)sc.buf;
    uint8_t *acc = work, *term = work + POINT_SIZE;
    scalar_t k;
    memcpy(acc, point_identity, POINT_SIZE);
    for (size_t i = 0; i < n; i++) {
        scalar_decode(&k, S + 32 * i);
        precomputed_mul(term, T[i], &k);
        point_add(acc, acc, term);
    }
    memcpy((void *)(uintptr_t)out_addr, acc, POINT_SIZE);
    memset(&k, 0, sizeof k);
    free(work);
    PyBuffer_Release(&pts);
    PyBuffer_Release(&sc);
    Py_RETURN_NONE;
}

/* msm_ct(out, points, scalars): out = sum k_i P_i, constant-time in the scalars: terms in
 * pairs through point_double_scalarmul, an odd last one through point_scalarmul. */
static PyObject *msm_ct(PyObject *self, PyObject *args) {
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
    const void *const *P = (const void *const *)pts.buf;
    const uint8_t *S = (const uint8_t *)sc.buf;
    uint8_t *acc = work, *term = work + POINT_SIZE;
    scalar_t k1, k2;
    memcpy(acc, point_identity, POINT_SIZE);
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
    memcpy((void *)(uintptr_t)out_addr, acc, POINT_SIZE);
    memset(&k1, 0, sizeof k1);
    memset(&k2, 0, sizeof k2);
    free(work);
    PyBuffer_Release(&pts);
    PyBuffer_Release(&sc);
    Py_RETURN_NONE;
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

static PyMethodDef methods[] = {
    {"bind", bind, METH_VARARGS, "Hand over libdecaf's add, sub, double and identity."},
    {"bind_mul", bind_mul, METH_VARARGS, "Hand over libdecaf's multiplications."},
    {"bind_decode", bind_decode, METH_VARARGS, "Hand over libdecaf's point decoder."},
    {"decode_many", decode_many, METH_VARARGS, "Decode n encodings; -1 or the first bad index."},
    {"msm_table_ct", msm_table_ct, METH_VARARGS, "out = sum k_i T_i, constant-time."},
    {"msm_ct", msm_ct, METH_VARARGS, "out = sum k_i P_i, constant-time."},
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
