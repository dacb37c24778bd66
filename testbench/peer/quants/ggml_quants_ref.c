// ggml_quants_ref: a command-line front end to llama.cpp's own reference quantizers.
//
// This file is EdgeLM's code. It contains no llama.cpp code: setup.sh compiles it together
// with llama.cpp's unmodified ggml/src/ggml.c, ggml/src/ggml-quants.c and
// ggml/src/ggml-threading.cpp, extracted from the git bundle shipped in the node-llama-cpp
// package (see README.md), so the bytes it prints are the bytes llama.cpp would produce.
//
//   ggml_quants_ref quantize   TYPE ROW_LENGTH [--ref] < rows.f32   > blocks.bin
//   ggml_quants_ref dequantize TYPE ROW_LENGTH         < blocks.bin > rows.f32
//   ggml_quants_ref fp16                               < values.f32 > values.f16
//   ggml_quants_ref types      (JSON: every supported type, block size, bytes per block, functions)
//   ggml_quants_ref version    (JSON: ggml version and commit it was compiled from)
//
// Input and output are raw little-endian arrays with no header. quantize reads float32 values,
// a whole number of rows of ROW_LENGTH values each, and writes ROW_LENGTH / block_size blocks per
// row. dequantize reads whole rows of blocks and writes float32 values.
//
// quantize calls ggml_quantize_chunk(type, src, dst, 0, nrows, ROW_LENGTH, imatrix = NULL), the
// function llama.cpp's llama-quantize goes through, for every type it accepts; without an
// importance matrix it calls quantize_row_TYPE_ref for every type listed here (f16 and bf16:
// ggml_fp32_to_fp16_row and ggml_fp32_to_bf16_row_ref). q8_1 and q8_K are activation formats
// that ggml_quantize_chunk does not accept: for them quantize calls quantize_row_q8_1_ref and
// quantize_row_q8_K_ref directly. --ref bypasses ggml_quantize_chunk and calls the row function
// (the type's from_float_ref) directly for every type, to check that both give the same bytes.
//
// dequantize calls the type's to_float (dequantize_row_TYPE, ggml_fp16_to_fp32_row,
// ggml_bf16_to_fp32_row); q8_K: dequantize_row_q8_K. llama.cpp has no dequantizer for q8_1.

#include "ggml.h"
#include "ggml-quants.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROG "ggml_quants_ref"

typedef void (*row_quantizer)(const float * x, void * y, int64_t k);
typedef void (*row_dequantizer)(const void * x, float * y, int64_t k);

struct type_entry {
    const char *     name;
    enum ggml_type   type;
    int              via_chunk;   // quantize through ggml_quantize_chunk
    row_quantizer    quantize;    // row function (NULL: the type traits' from_float_ref)
    row_dequantizer  dequantize;  // row function (NULL: the type traits' to_float)
    const char *     quantize_fn; // what runs underneath, for `types`
    const char *     dequantize_fn;
};

static const struct type_entry TYPES[] = {
    { "f16",   GGML_TYPE_F16,   1, NULL, NULL, "ggml_fp32_to_fp16_row",     "ggml_fp16_to_fp32_row" },
    { "bf16",  GGML_TYPE_BF16,  1, NULL, NULL, "ggml_fp32_to_bf16_row_ref", "ggml_bf16_to_fp32_row" },
    { "q4_0",  GGML_TYPE_Q4_0,  1, NULL, NULL, "quantize_row_q4_0_ref",     "dequantize_row_q4_0" },
    { "q4_1",  GGML_TYPE_Q4_1,  1, NULL, NULL, "quantize_row_q4_1_ref",     "dequantize_row_q4_1" },
    { "q5_0",  GGML_TYPE_Q5_0,  1, NULL, NULL, "quantize_row_q5_0_ref",     "dequantize_row_q5_0" },
    { "q5_1",  GGML_TYPE_Q5_1,  1, NULL, NULL, "quantize_row_q5_1_ref",     "dequantize_row_q5_1" },
    { "q8_0",  GGML_TYPE_Q8_0,  1, NULL, NULL, "quantize_row_q8_0_ref",     "dequantize_row_q8_0" },
    { "q8_1",  GGML_TYPE_Q8_1,  0, (row_quantizer) quantize_row_q8_1_ref, NULL,
                                               "quantize_row_q8_1_ref",     NULL },
    { "q4_K",  GGML_TYPE_Q4_K,  1, NULL, NULL, "quantize_row_q4_K_ref",     "dequantize_row_q4_K" },
    { "q5_K",  GGML_TYPE_Q5_K,  1, NULL, NULL, "quantize_row_q5_K_ref",     "dequantize_row_q5_K" },
    { "q6_K",  GGML_TYPE_Q6_K,  1, NULL, NULL, "quantize_row_q6_K_ref",     "dequantize_row_q6_K" },
    { "q8_K",  GGML_TYPE_Q8_K,  0, (row_quantizer) quantize_row_q8_K_ref, (row_dequantizer) dequantize_row_q8_K,
                                               "quantize_row_q8_K_ref",     "dequantize_row_q8_K" },
    { "tq1_0", GGML_TYPE_TQ1_0, 1, NULL, NULL, "quantize_row_tq1_0_ref",    "dequantize_row_tq1_0" },
    { "tq2_0", GGML_TYPE_TQ2_0, 1, NULL, NULL, "quantize_row_tq2_0_ref",    "dequantize_row_tq2_0" },
};
#define N_TYPES (sizeof(TYPES) / sizeof(TYPES[0]))

static void die(const char * fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

static void die(const char * fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs(PROG ": error: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(2);
}

static void usage(void) {
    fputs("usage: " PROG " quantize   TYPE ROW_LENGTH [--ref] < rows.f32   > blocks.bin\n"
          "       " PROG " dequantize TYPE ROW_LENGTH         < blocks.bin > rows.f32\n"
          "       " PROG " fp16                               < values.f32 > values.f16\n"
          "       " PROG " types | version\n"
          "TYPE: f16 bf16 q4_0 q4_1 q5_0 q5_1 q8_0 q8_1 q4_K q5_K q6_K q8_K tq1_0 tq2_0\n"
          "All data is raw little-endian, no header; input must hold whole rows.\n", stderr);
}

static const struct type_entry * find_type(const char * name) {
    for (size_t i = 0; i < N_TYPES; i++) {
        if (strcmp(TYPES[i].name, name) == 0) {
            return &TYPES[i];
        }
    }
    die("unknown type '%s' (supported: f16 bf16 q4_0 q4_1 q5_0 q5_1 q8_0 q8_1 q4_K q5_K q6_K q8_K tq1_0 tq2_0)", name);
}

static int64_t parse_row_length(const char * s) {
    char * end = NULL;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v <= 0 || v > (1LL << 40)) {
        die("ROW_LENGTH must be a positive integer, got '%s'", s);
    }
    return (int64_t) v;
}

// Reads all of standard input.
static unsigned char * read_all(size_t * out_len) {
    size_t cap = 1 << 20, len = 0;
    unsigned char * buf = malloc(cap);
    if (!buf) die("out of memory");
    for (;;) {
        if (len == cap) {
            cap *= 2;
            unsigned char * nb = realloc(buf, cap);
            if (!nb) die("out of memory reading input (%zu bytes so far)", len);
            buf = nb;
        }
        size_t n = fread(buf + len, 1, cap - len, stdin);
        len += n;
        if (n == 0) {
            if (ferror(stdin)) die("reading standard input: %s", strerror(errno));
            break;
        }
    }
    *out_len = len;
    return buf;
}

static void write_all(const void * data, size_t len) {
    if (len > 0 && fwrite(data, 1, len, stdout) != len) {
        die("writing standard output: %s", strerror(errno));
    }
    if (fflush(stdout) != 0) {
        die("writing standard output: %s", strerror(errno));
    }
}

static void check_row_length(const struct type_entry * t, int64_t row_length) {
    const int64_t bs = ggml_blck_size(t->type);
    if (row_length % bs != 0) {
        die("ROW_LENGTH %lld is not a multiple of %s's block size %lld",
            (long long) row_length, t->name, (long long) bs);
    }
}

static void cmd_quantize(const struct type_entry * t, int64_t row_length, int force_ref) {
    check_row_length(t, row_length);
    size_t in_len;
    unsigned char * in = read_all(&in_len);
    const size_t row_in_bytes = (size_t) row_length * sizeof(float);
    if (in_len % row_in_bytes != 0) {
        die("input is %zu bytes, not a whole number of rows of %lld float32 values (%zu bytes)",
            in_len, (long long) row_length, row_in_bytes);
    }
    const int64_t nrows = (int64_t) (in_len / row_in_bytes);
    const size_t row_out_bytes = ggml_row_size(t->type, row_length);
    const size_t out_len = (size_t) nrows * row_out_bytes;
    // ggml_quantize_chunk writes every byte of its output; calloc keeps padding bytes defined anyway.
    unsigned char * out = calloc(out_len > 0 ? out_len : 1, 1);
    if (!out) die("out of memory");
    const float * src = (const float *) in; // malloc'd: suitably aligned

    if (t->via_chunk && !force_ref) {
        if (nrows > 0) {
            size_t written = ggml_quantize_chunk(t->type, src, out, 0, nrows, row_length, NULL);
            if (written != out_len) {
                die("ggml_quantize_chunk wrote %zu bytes, expected %zu", written, out_len);
            }
        }
    } else {
        row_quantizer q = t->quantize;
        if (!q) q = (row_quantizer) ggml_get_type_traits(t->type)->from_float_ref;
        if (!q) die("llama.cpp has no reference quantizer for %s", t->name);
        for (int64_t r = 0; r < nrows; r++) {
            q(src + r * row_length, out + (size_t) r * row_out_bytes, row_length);
        }
    }
    write_all(out, out_len);
    free(in);
    free(out);
}

static void cmd_dequantize(const struct type_entry * t, int64_t row_length) {
    check_row_length(t, row_length);
    row_dequantizer dq = t->dequantize;
    if (!dq) dq = (row_dequantizer) ggml_get_type_traits(t->type)->to_float;
    if (!dq) die("llama.cpp has no dequantizer for %s (quantize only)", t->name);
    size_t in_len;
    unsigned char * in = read_all(&in_len);
    const size_t row_in_bytes = ggml_row_size(t->type, row_length);
    if (in_len % row_in_bytes != 0) {
        die("input is %zu bytes, not a whole number of %s rows of %lld values (%zu bytes each)",
            in_len, t->name, (long long) row_length, row_in_bytes);
    }
    const int64_t nrows = (int64_t) (in_len / row_in_bytes);
    const size_t out_len = (size_t) nrows * (size_t) row_length * sizeof(float);
    float * out = malloc(out_len > 0 ? out_len : 1);
    if (!out) die("out of memory");
    for (int64_t r = 0; r < nrows; r++) {
        dq(in + (size_t) r * row_in_bytes, out + r * row_length, row_length);
    }
    write_all(out, out_len);
    free(in);
    free(out);
}

static void cmd_types(void) {
    printf("[");
    for (size_t i = 0; i < N_TYPES; i++) {
        const struct type_entry * t = &TYPES[i];
        printf("%s\n {\"name\":\"%s\",\"ggml_type\":%d,\"block_size\":%lld,\"type_size\":%zu,"
               "\"quantize\":\"%s%s\",\"dequantize\":%s%s%s}",
               i ? "," : "", t->name, (int) t->type, (long long) ggml_blck_size(t->type),
               ggml_type_size(t->type),
               t->via_chunk ? "ggml_quantize_chunk -> " : "", t->quantize_fn,
               t->dequantize_fn ? "\"" : "", t->dequantize_fn ? t->dequantize_fn : "null",
               t->dequantize_fn ? "\"" : "");
    }
    printf("\n]\n");
}

int main(int argc, char ** argv) {
    {
        const uint32_t one = 1;
        if (*(const unsigned char *) &one != 1) die("this tool assumes a little-endian host");
    }
    if (argc < 2) {
        usage();
        return 2;
    }
    const char * cmd = argv[1];
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
        usage();
        return 0;
    }
    if (strcmp(cmd, "quantize") == 0) {
        if (argc < 4 || argc > 5 || (argc == 5 && strcmp(argv[4], "--ref") != 0)) {
            usage();
            die("quantize takes TYPE ROW_LENGTH [--ref]");
        }
        const struct type_entry * t = find_type(argv[2]);
        cmd_quantize(t, parse_row_length(argv[3]), argc == 5);
        return 0;
    }
    if (strcmp(cmd, "dequantize") == 0) {
        if (argc != 4) {
            usage();
            die("dequantize takes TYPE ROW_LENGTH");
        }
        const struct type_entry * t = find_type(argv[2]);
        cmd_dequantize(t, parse_row_length(argv[3]));
        return 0;
    }
    if (strcmp(cmd, "fp16") == 0) {
        if (argc != 2) die("fp16 takes no arguments");
        size_t in_len;
        unsigned char * in = read_all(&in_len);
        if (in_len % sizeof(float) != 0) die("input is %zu bytes, not a whole number of float32 values", in_len);
        const int64_t n = (int64_t) (in_len / sizeof(float));
        ggml_fp16_t * out = malloc(n > 0 ? (size_t) n * sizeof(ggml_fp16_t) : 1);
        if (!out) die("out of memory");
        ggml_fp32_to_fp16_row((const float *) in, out, n);
        write_all(out, (size_t) n * sizeof(ggml_fp16_t));
        free(in);
        free(out);
        return 0;
    }
    if (strcmp(cmd, "types") == 0) {
        cmd_types();
        return 0;
    }
    if (strcmp(cmd, "version") == 0) {
        printf("{\"ggml_version\":\"%s\",\"ggml_commit\":\"%s\"}\n", ggml_version(), ggml_commit());
        return 0;
    }
    usage();
    die("unknown command '%s'", cmd);
}
