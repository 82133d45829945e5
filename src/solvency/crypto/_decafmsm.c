/* Variable-time multi-scalar multiplication over libdecaf's ristretto255 points, for
 * solvency.crypto.group_decaf: the verifier's sum_i k_i P_i with PUBLIC scalars only.
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

static void *aligned_points(size_t count) {
    void *p = NULL;
    if (posix_memalign(&p, POINT_ALIGN, count * POINT_SIZE) != 0)
        return NULL;
    return p;
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
    {"pippenger", pippenger, METH_VARARGS,
     "out = sum k_i P_i in variable time (public scalars only)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_decafmsm",
    "Variable-time Pippenger over libdecaf points (public scalars only).", -1, methods,
};

PyMODINIT_FUNC PyInit__decafmsm(void) { return PyModule_Create(&module); }
