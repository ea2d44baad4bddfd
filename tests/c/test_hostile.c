/* The C API given hostile input: NULL for each pointer, huge and zero
 * lengths, unterminated buffers, out-of-range enum codes and numbers,
 * invalid UTF-8 and embedded NULs, misuse that the API defines as safe,
 * directories that are files, FIFOs and loops, many threads at once, and
 * very large expositions. Each case asserts the exact status and message.
 *
 * The C API has no network function (no serve, no scrape: SPEC.md section 7),
 * so there is no closed-port or slow-server case here.
 *
 * Usage: test_hostile FIXTURES_DIR. Prints "N passed, M failed". Under
 * valgrind (RUNNING_ON_VALGRIND) the huge inputs are 1/64 of their size and
 * the threads make fewer calls; the sizes used are printed. */
#define _XOPEN_SOURCE 700

#include <fcntl.h>
#include <float.h>
#include <ftw.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <valgrind/valgrind.h>

#include "harness.h"

/* Checks the thread's last error message, byte for byte. */
#define CHECK_MESSAGE(expected)                                                                   \
    do {                                                                                          \
        const char *check_message_actual_ = loki_last_error_message();                            \
        if (strcmp(check_message_actual_, (expected)) != 0) {                                     \
            fprintf(stderr, "  %s:%d: in %s: last error \"%.300s\", expected \"%.300s\"\n",       \
                    __FILE__, __LINE__, harness_current, check_message_actual_, (expected));      \
            harness_current_failed = 1;                                                           \
        }                                                                                         \
    } while (0)

/* A call that must fail with `status` and exactly `message`. */
#define CHECK_FAILS(call, status, message)                                                        \
    do {                                                                                          \
        CHECK_STATUS(call, status);                                                               \
        CHECK_MESSAGE(message);                                                                   \
    } while (0)

#define TEN_TO_9 1000000000u

static const char *fixtures;
static char running[2048];    /* the `running` fixture's .loki */
static char live_run[2048];   /* the `runsh-mid-run` fixture's .loki (its loki.pid is PID 1) */
static char scratch[1024];    /* a temporary directory, removed at exit */
static size_t shrink = 1;     /* huge inputs are divided by this (64 under valgrind) */
static int thread_rounds = 40; /* calls per thread in the thread tests */

static int str_eq(loki_str s, const char *expected) {
    return s.data != NULL && s.len == strlen(expected) && memcmp(s.data, expected, s.len) == 0;
}

static int has(const loki_string *text, const char *needle) {
    return text->data != NULL && strstr(text->data, needle) != NULL;
}

/* `scratch`/`name`, in `out` (4096 bytes). */
static const char *scratch_path(char *out, const char *name) {
    snprintf(out, 4096, "%s/%s", scratch, name);
    return out;
}

static void write_text(const char *path, const char *text) {
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    if (!f) return;
    CHECK(fputs(text, f) >= 0);
    CHECK(fclose(f) == 0);
}

static int remove_entry(const char *path, const struct stat *sb, int type, struct FTW *ftw) {
    (void)sb;
    (void)type;
    (void)ftw;
    return remove(path);
}

/* Options with the clock at `rfc3339`. */
static loki_options options_at(const char *rfc3339) {
    loki_options o = LOKI_OPTIONS_INIT;
    o.flags = LOKI_OPTION_NOW;
    if (loki_parse_rfc3339(rfc3339, strlen(rfc3339), &o.now_seconds, &o.now_nanoseconds) != LOKI_STATUS_OK)
        harness_current_failed = 1;
    return o;
}

/* The value of the unlabelled sample `name`, or -1 (and a failed check). */
static double value_of(const loki_snapshot *s, const char *name) {
    double v = -1.0;
    CHECK_STATUS(loki_snapshot_value(s, name, strlen(name), NULL, 0, &v), LOKI_STATUS_OK);
    return v;
}

/* loki_tasks_total{status=`status`}. */
static double tasks(const loki_snapshot *s, const char *status) {
    double v = -1.0;
    loki_label l;
    l.name.data = "status";
    l.name.len = 6;
    l.value.data = status;
    l.value.len = strlen(status);
    CHECK_STATUS(loki_snapshot_value(s, "loki_tasks_total", 16, &l, 1, &v), LOKI_STATUS_OK);
    return v;
}

/* The snapshot's failed sources, as paths joined by spaces. */
static void failed_sources(const loki_snapshot *s, char *out, size_t cap) {
    size_t i, used = 0, n = loki_snapshot_failed_source_count(s);
    out[0] = '\0';
    for (i = 0; i < n; i++) {
        loki_str p;
        if (loki_snapshot_failed_source(s, i, &p) != LOKI_STATUS_OK) continue;
        used += (size_t)snprintf(out + used, used < cap ? cap - used : 0, "%s%.*s", i ? " " : "", (int)p.len, p.data);
    }
}

/* The failed sources must be exactly `expected` (paths, sorted, space-separated). */
static void check_failed(const loki_snapshot *s, const char *expected) {
    char got[1024];
    failed_sources(s, got, sizeof got);
    if (strcmp(got, expected) != 0) {
        fprintf(stderr, "  in %s: failed sources \"%s\", expected \"%s\"\n", harness_current, got, expected);
        harness_current_failed = 1;
    }
}

/* The only warning of `s` must be from `source` with exactly `message`. */
static void check_one_warning(const loki_snapshot *s, const char *source, const char *message) {
    loki_str path, text;
    CHECK(loki_snapshot_warning_count(s) == 1);
    CHECK_STATUS(loki_snapshot_warning(s, 0, &path, &text), LOKI_STATUS_OK);
    CHECK(str_eq(path, source));
    if (!str_eq(text, message)) {
        fprintf(stderr, "  in %s: warning \"%.*s\", expected \"%s\"\n", harness_current, (int)text.len,
                text.data ? text.data : "", message);
        harness_current_failed = 1;
    }
}

/* Warning `path` of `s` must exist with exactly `message`. */
static void check_warning(const loki_snapshot *s, const char *path, const char *message) {
    size_t i, n = loki_snapshot_warning_count(s);
    for (i = 0; i < n; i++) {
        loki_str source, text;
        CHECK_STATUS(loki_snapshot_warning(s, i, &source, &text), LOKI_STATUS_OK);
        if (!str_eq(source, path)) continue;
        if (!str_eq(text, message)) {
            fprintf(stderr, "  in %s: warning for %s is \"%.*s\", expected \"%s\"\n", harness_current, path,
                    (int)text.len, text.data ? text.data : "", message);
            harness_current_failed = 1;
        }
        return;
    }
    fprintf(stderr, "  in %s: no warning for %s\n", harness_current, path);
    harness_current_failed = 1;
}

/* ---- NULL for each pointer argument -------------------------------------- */

static void null_pointers_of_collect_render_and_snapshot_functions(void) {
    loki_snapshot *s = NULL;
    loki_string text;
    loki_str path, message;
    double v;
    size_t n = strlen(running);
    CHECK_FAILS(loki_collect(NULL, n, NULL, &s), LOKI_STATUS_NULL_ARGUMENT, "dir is NULL");
    CHECK_FAILS(loki_collect(running, n, NULL, NULL), LOKI_STATUS_NULL_ARGUMENT, "out is NULL");
    CHECK_STATUS(loki_collect(running, n, NULL, &s), LOKI_STATUS_OK); /* options NULL: every default */
    CHECK(value_of(s, "loki_iteration_current") == 12 && value_of(s, "loki_iteration_max") == 1000);
    CHECK_FAILS(loki_snapshot_warning(s, 0, NULL, NULL), LOKI_STATUS_OUT_OF_RANGE,
                "warning index 0 is out of range (the snapshot has 0)");
    CHECK_FAILS(loki_snapshot_failed_source(s, 0, NULL), LOKI_STATUS_OUT_OF_RANGE,
                "failed source index 0 is out of range (the snapshot has 0)");
    CHECK_FAILS(loki_snapshot_value(s, NULL, 3, NULL, 0, &v), LOKI_STATUS_NULL_ARGUMENT, "name is NULL");
    CHECK_FAILS(loki_snapshot_value(s, "loki_cost_usd", 13, NULL, 0, NULL), LOKI_STATUS_NULL_ARGUMENT,
                "out is NULL");
    CHECK_FAILS(loki_snapshot_value(NULL, "loki_cost_usd", 13, NULL, 0, &v), LOKI_STATUS_NULL_ARGUMENT,
                "snapshot is NULL");
    CHECK_FAILS(loki_snapshot_value(s, "loki_tasks_total", 16, NULL, 2, &v), LOKI_STATUS_NULL_ARGUMENT,
                "labels is NULL");
    loki_snapshot_free(s);
    s = NULL;
    CHECK_STATUS(loki_collect("/nonexistent/x", 14, NULL, &s), LOKI_STATUS_OK);
    CHECK_FAILS(loki_snapshot_warning(s, 0, NULL, &message), LOKI_STATUS_NULL_ARGUMENT, "source is NULL");
    CHECK_FAILS(loki_snapshot_warning(s, 0, &path, NULL), LOKI_STATUS_NULL_ARGUMENT, "message is NULL");
    CHECK_FAILS(loki_snapshot_warning(NULL, 0, &path, &message), LOKI_STATUS_NULL_ARGUMENT, "snapshot is NULL");
    CHECK_FAILS(loki_render_snapshot(NULL, LOKI_FORMAT_JSON, &text), LOKI_STATUS_NULL_ARGUMENT,
                "snapshot is NULL");
    CHECK(text.data == NULL && text.len == 0);
    CHECK_FAILS(loki_render_snapshot(s, LOKI_FORMAT_JSON, NULL), LOKI_STATUS_NULL_ARGUMENT, "out is NULL");
    loki_snapshot_free(s);
    s = NULL;
    CHECK_FAILS(loki_render(NULL, n, NULL, LOKI_FORMAT_PROMETHEUS, &text), LOKI_STATUS_NULL_ARGUMENT,
                "dir is NULL");
    CHECK_FAILS(loki_render(running, n, NULL, LOKI_FORMAT_PROMETHEUS, NULL), LOKI_STATUS_NULL_ARGUMENT,
                "out is NULL");
    CHECK_STATUS(loki_render(running, n, NULL, LOKI_FORMAT_PROMETHEUS, &text), LOKI_STATUS_OK);
    CHECK(has(&text, "\nloki_iteration_current 12\n"));
    loki_string_free(&text);
}

static void null_pointers_of_collector_functions(void) {
    loki_collector *c = NULL;
    loki_snapshot *s = NULL;
    loki_string text;
    size_t n = strlen(running);
    CHECK_FAILS(loki_collector_new(NULL, n, NULL, 2.0, &c), LOKI_STATUS_NULL_ARGUMENT, "dir is NULL");
    CHECK(c == NULL);
    CHECK_FAILS(loki_collector_new(running, n, NULL, 2.0, NULL), LOKI_STATUS_NULL_ARGUMENT, "out is NULL");
    CHECK_FAILS(loki_collector_collect(NULL, &s), LOKI_STATUS_NULL_ARGUMENT, "collector is NULL");
    CHECK(s == NULL);
    CHECK_FAILS(loki_collector_render(NULL, LOKI_FORMAT_JSON, &text), LOKI_STATUS_NULL_ARGUMENT,
                "collector is NULL");
    CHECK(text.data == NULL);
    CHECK_FAILS(loki_collector_invalidate(NULL), LOKI_STATUS_NULL_ARGUMENT, "collector is NULL");
    CHECK(loki_collector_collections(NULL) == 0);
    CHECK_STATUS(loki_collector_new(running, n, NULL, 2.0, &c), LOKI_STATUS_OK);
    CHECK_FAILS(loki_collector_collect(c, NULL), LOKI_STATUS_NULL_ARGUMENT, "out is NULL");
    CHECK_FAILS(loki_collector_render(c, LOKI_FORMAT_JSON, NULL), LOKI_STATUS_NULL_ARGUMENT, "out is NULL");
    /* Checked before the collector reads anything. */
    CHECK(loki_collector_collections(c) == 0);
    loki_collector_free(c);
    loki_snapshot_free(s);
}

static void null_pointers_of_parse_and_its_accessors(void) {
    loki_families *f = (loki_families *)&f;
    loki_family family;
    loki_sample sample;
    loki_str name, value;
    CHECK_FAILS(loki_parse(NULL, 4, LOKI_PARSE_FORMAT_AUTO, &f), LOKI_STATUS_NULL_ARGUMENT, "text is NULL");
    CHECK(f == NULL);
    CHECK_FAILS(loki_parse("a 1\n", 4, LOKI_PARSE_FORMAT_AUTO, NULL), LOKI_STATUS_NULL_ARGUMENT, "out is NULL");
    CHECK_FAILS(loki_parse_borrowed(NULL, 4, LOKI_PARSE_FORMAT_AUTO, &f), LOKI_STATUS_NULL_ARGUMENT,
                "text is NULL");
    CHECK_FAILS(loki_parse_borrowed("a 1\n", 4, LOKI_PARSE_FORMAT_AUTO, NULL), LOKI_STATUS_NULL_ARGUMENT,
                "out is NULL");
    /* `out` is checked first, whatever else is wrong. */
    CHECK_FAILS(loki_parse(NULL, 4, 99, NULL), LOKI_STATUS_NULL_ARGUMENT, "out is NULL");
    CHECK_STATUS(loki_parse_borrowed(NULL, 0, LOKI_PARSE_FORMAT_OPENMETRICS, &f), LOKI_STATUS_PARSE_ERROR);
    CHECK(f == NULL);
    CHECK(loki_families_count(NULL) == 0);
    CHECK_FAILS(loki_families_family(NULL, 0, &family), LOKI_STATUS_NULL_ARGUMENT, "families is NULL");
    CHECK_FAILS(loki_families_sample(NULL, 0, 0, &sample), LOKI_STATUS_NULL_ARGUMENT, "families is NULL");
    CHECK_FAILS(loki_families_label(NULL, 0, 0, 0, &name, &value), LOKI_STATUS_NULL_ARGUMENT,
                "families is NULL");
    CHECK_STATUS(loki_parse("a{k=\"v\"} 1\n", 11, LOKI_PARSE_FORMAT_PROMETHEUS, &f), LOKI_STATUS_OK);
    CHECK_FAILS(loki_families_family(f, 0, NULL), LOKI_STATUS_NULL_ARGUMENT, "out is NULL");
    CHECK_FAILS(loki_families_sample(f, 0, 0, NULL), LOKI_STATUS_NULL_ARGUMENT, "out is NULL");
    CHECK_FAILS(loki_families_label(f, 0, 0, 0, NULL, &value), LOKI_STATUS_NULL_ARGUMENT, "name or value is NULL");
    CHECK_FAILS(loki_families_label(f, 0, 0, 0, &name, NULL), LOKI_STATUS_NULL_ARGUMENT, "name or value is NULL");
    CHECK_STATUS(loki_families_label(f, 0, 0, 0, &name, &value), LOKI_STATUS_OK);
    CHECK(str_eq(name, "k") && str_eq(value, "v"));
    loki_families_free(f);
}

static void null_pointers_of_format_and_timestamp_helpers(void) {
    uint32_t code = 42;
    int64_t secs = 7;
    uint32_t ns = 7;
    size_t line = 5, column = 6;
    CHECK_FAILS(loki_format_from_name(NULL, 4, &code), LOKI_STATUS_NULL_ARGUMENT, "name is NULL");
    CHECK_FAILS(loki_format_from_name("json", 4, NULL), LOKI_STATUS_NULL_ARGUMENT, "format is NULL");
    CHECK_FAILS(loki_format_from_name(NULL, 0, &code), LOKI_STATUS_UNKNOWN_FORMAT,
                "unknown format \"\": expected one of prometheus, openmetrics, json");
    CHECK(code == 42);
    CHECK_FAILS(loki_parse_rfc3339(NULL, 20, &secs, &ns), LOKI_STATUS_NULL_ARGUMENT, "text is NULL");
    CHECK_FAILS(loki_parse_rfc3339("2026-01-05T12:00:00Z", 20, NULL, &ns), LOKI_STATUS_NULL_ARGUMENT,
                "seconds or nanoseconds is NULL");
    CHECK_FAILS(loki_parse_rfc3339("2026-01-05T12:00:00Z", 20, &secs, NULL), LOKI_STATUS_NULL_ARGUMENT,
                "seconds or nanoseconds is NULL");
    CHECK_FAILS(loki_parse_rfc3339(NULL, 0, &secs, &ns), LOKI_STATUS_INVALID_TIMESTAMP,
                "invalid timestamp \"\": expected RFC 3339, e.g. 2026-01-05T10:00:00Z");
    CHECK(secs == 7 && ns == 7);
    CHECK(loki_last_error_position(NULL, NULL) == 0);
    CHECK(loki_last_error_position(&line, &column) == 0 && line == 5 && column == 6);
}

static void null_is_a_no_op_for_every_release_function(void) {
    loki_string zeroed_string;
    memset(&zeroed_string, 0, sizeof zeroed_string);
    loki_string_free(NULL);
    loki_snapshot_free(NULL);
    loki_families_free(NULL);
    loki_collector_free(NULL);
    loki_string_free(&zeroed_string);
    CHECK(zeroed_string.data == NULL);
    /* Release functions are not fallible calls: they leave the last error alone. */
    CHECK_STATUS(loki_collector_invalidate(NULL), LOKI_STATUS_NULL_ARGUMENT);
    loki_string_free(NULL);
    loki_families_free(NULL);
    CHECK_MESSAGE("collector is NULL");
}

/* ---- lengths --------------------------------------------------------------- */

/* Every (pointer, length) argument given `ptr` and the length `n` must fail
 * with `status` and the message for a dir, a text or a name argument. */
static void check_every_length_argument(const char *ptr, size_t n, loki_status status, const char *dir,
                                        const char *text_msg, const char *name) {
    loki_snapshot *s = NULL;
    loki_string text;
    loki_collector *c;
    loki_families *f;
    int64_t secs;
    uint32_t ns, code;
    CHECK_FAILS(loki_collect(ptr, n, NULL, &s), status, dir);
    CHECK_FAILS(loki_render(ptr, n, NULL, LOKI_FORMAT_JSON, &text), status, dir);
    CHECK_FAILS(loki_collector_new(ptr, n, NULL, 1.0, &c), status, dir);
    CHECK_FAILS(loki_parse(ptr, n, LOKI_PARSE_FORMAT_AUTO, &f), status, text_msg);
    CHECK_FAILS(loki_parse_borrowed(ptr, n, LOKI_PARSE_FORMAT_AUTO, &f), status, text_msg);
    CHECK_FAILS(loki_parse_rfc3339(ptr, n, &secs, &ns), status, text_msg);
    CHECK_FAILS(loki_format_from_name(ptr, n, &code), status, name);
}

static const size_t HUGE_LENGTHS[2] = {SIZE_MAX, (size_t)PTRDIFF_MAX + 1};

static void huge_lengths_with_a_null_pointer_are_null_argument(void) {
    int i;
    for (i = 0; i < 2; i++)
        check_every_length_argument(NULL, HUGE_LENGTHS[i], LOKI_STATUS_NULL_ARGUMENT, "dir is NULL", "text is NULL",
                                    "name is NULL");
}

static void lengths_over_ptrdiff_max_are_refused_before_any_read(void) {
    int i;
    for (i = 0; i < 2; i++) {
        char dir[128], text[128], name[128];
        size_t n = HUGE_LENGTHS[i];
        snprintf(dir, sizeof dir, "dir: length %zu exceeds PTRDIFF_MAX", n);
        snprintf(text, sizeof text, "text: length %zu exceeds PTRDIFF_MAX", n);
        snprintf(name, sizeof name, "name: length %zu exceeds PTRDIFF_MAX", n);
        check_every_length_argument("x", n, LOKI_STATUS_INVALID_ARGUMENT, dir, text, name);
    }
}

static void zero_lengths_are_the_empty_text(void) {
    loki_snapshot *s = NULL;
    loki_families *f = NULL;
    int64_t secs;
    uint32_t ns, code;
    /* ("x", 0) is the empty path, not "read LOKI_DIR" (that is (NULL, 0)). */
    CHECK_STATUS(loki_collect("x", 0, NULL, &s), LOKI_STATUS_OK);
    check_one_warning(s, ".", "the directory does not exist; all values are fallbacks");
    loki_snapshot_free(s);
    s = NULL;
    CHECK_STATUS(loki_parse("x", 0, LOKI_PARSE_FORMAT_PROMETHEUS, &f), LOKI_STATUS_OK);
    CHECK(f != NULL && loki_families_count(f) == 0);
    loki_families_free(f);
    CHECK_STATUS(loki_parse_borrowed("x", 0, LOKI_PARSE_FORMAT_AUTO, &f), LOKI_STATUS_OK);
    CHECK(f != NULL && loki_families_count(f) == 0);
    loki_families_free(f);
    CHECK_FAILS(loki_format_from_name("json", 0, &code), LOKI_STATUS_UNKNOWN_FORMAT,
                "unknown format \"\": expected one of prometheus, openmetrics, json");
    CHECK_FAILS(loki_parse_rfc3339("2026-01-05T12:00:00Z", 0, &secs, &ns), LOKI_STATUS_INVALID_TIMESTAMP,
                "invalid timestamp \"\": expected RFC 3339, e.g. 2026-01-05T10:00:00Z");
}

/* A heap copy of `text` without its NUL: a read past `len` is a sanitizer error. */
static char *unterminated(const char *text, size_t *len) {
    char *copy;
    *len = strlen(text);
    copy = (char *)malloc(*len);
    if (copy) memcpy(copy, text, *len);
    return copy;
}

static void unterminated_buffers_are_read_only_up_to_their_length(void) {
    size_t dn, tn, nn, rn;
    char *dir = unterminated(running, &dn);
    char *text = unterminated("# TYPE a gauge\na{x=\"y\"} 1", &tn); /* no final newline either */
    char *name = unterminated("openmetrics", &nn);
    char *stamp = unterminated("2026-01-05T12:00:00Z", &rn);
    loki_snapshot *s = NULL;
    loki_collector *c = NULL;
    loki_families *f = NULL;
    loki_sample sample;
    int64_t secs;
    uint32_t ns, code;
    CHECK(dir && text && name && stamp);
    if (!dir || !text || !name || !stamp) goto out;
    CHECK_STATUS(loki_collect(dir, dn, NULL, &s), LOKI_STATUS_OK);
    CHECK(value_of(s, "loki_iteration_current") == 12 && loki_snapshot_warning_count(s) == 0);
    loki_snapshot_free(s);
    s = NULL;
    CHECK_STATUS(loki_collector_new(dir, dn, NULL, 1.0, &c), LOKI_STATUS_OK);
    CHECK_STATUS(loki_collector_collect(c, &s), LOKI_STATUS_OK);
    CHECK(tasks(s, "completed") == 7);
    loki_snapshot_free(s);
    s = NULL;
    loki_collector_free(c);
    CHECK_STATUS(loki_parse(text, tn, LOKI_PARSE_FORMAT_PROMETHEUS, &f), LOKI_STATUS_OK);
    CHECK_STATUS(loki_families_sample(f, 0, 0, &sample), LOKI_STATUS_OK);
    CHECK(sample.value == 1.0 && sample.label_count == 1);
    loki_families_free(f);
    CHECK_STATUS(loki_parse_borrowed(text, tn, LOKI_PARSE_FORMAT_PROMETHEUS, &f), LOKI_STATUS_OK);
    CHECK(loki_families_count(f) == 1);
    loki_families_free(f);
    CHECK_STATUS(loki_format_from_name(name, nn, &code), LOKI_STATUS_OK);
    CHECK(code == LOKI_FORMAT_OPENMETRICS);
    CHECK_STATUS(loki_parse_rfc3339(stamp, rn, &secs, &ns), LOKI_STATUS_OK);
    CHECK(secs == 1767614400 && ns == 0);
out:
    free(dir);
    free(text);
    free(name);
    free(stamp);
}

/* ---- enum codes and numbers out of range ------------------------------------ */

static void out_of_range_format_codes_are_unknown_format(void) {
    const uint32_t codes[4] = {3, 99, (uint32_t)INT32_MAX + 1u, UINT32_MAX};
    loki_collector *c = NULL;
    loki_snapshot *s = NULL;
    int i;
    CHECK_STATUS(loki_collect(running, strlen(running), NULL, &s), LOKI_STATUS_OK);
    CHECK_STATUS(loki_collector_new(running, strlen(running), NULL, 60.0, &c), LOKI_STATUS_OK);
    for (i = 0; i < 4; i++) {
        char render[160], parse[160];
        loki_string text;
        loki_families *f = (loki_families *)&c;
        snprintf(render, sizeof render,
                 "unknown format code %u: expected a loki_format (0 prometheus, 1 openmetrics, 2 json)", codes[i]);
        snprintf(parse, sizeof parse,
                 "unknown parse format code %u: expected a loki_parse_format (0 auto, 1 prometheus, 2 openmetrics)",
                 codes[i] == 3 ? 3u : codes[i]);
        text.data = (char *)&c;
        CHECK_FAILS(loki_render(running, strlen(running), NULL, codes[i], &text), LOKI_STATUS_UNKNOWN_FORMAT,
                    render);
        CHECK(text.data == NULL && text.len == 0);
        CHECK_FAILS(loki_render_snapshot(s, codes[i], &text), LOKI_STATUS_UNKNOWN_FORMAT, render);
        CHECK_FAILS(loki_collector_render(c, codes[i], &text), LOKI_STATUS_UNKNOWN_FORMAT, render);
        CHECK(loki_format_content_type(codes[i]) == NULL);
        CHECK_FAILS(loki_parse("a 1\n", 4, codes[i], &f), LOKI_STATUS_UNKNOWN_FORMAT, parse);
        CHECK(f == NULL);
        CHECK_FAILS(loki_parse_borrowed("a 1\n", 4, codes[i], &f), LOKI_STATUS_UNKNOWN_FORMAT, parse);
    }
    /* (loki_format)99, as a C caller would write it. */
    CHECK(loki_format_content_type((loki_format)99) == NULL);
    /* The collector never read the directory for a refused format. */
    CHECK(loki_collector_collections(c) == 0);
    loki_collector_free(c);
    loki_snapshot_free(s);
}

static void cache_ttls_outside_their_range_are_invalid_option(void) {
    const double bad[7] = {-1.0, -DBL_MIN, -INFINITY, INFINITY, NAN, 1e20, DBL_MAX};
    /* What the message shows of each (Rust's shortest round-trip decimal). */
    const char *const shown[7] = {"-1 ", "-0.000000000", "-inf ", "inf ", "NaN ", "100000000000000000000 ",
                                  "179769313486231570000000"};
    loki_collector *c = NULL;
    loki_string text;
    int i;
    for (i = 0; i < 7; i++) {
        static const char tail[] = " must be a finite number of seconds >= 0";
        char prefix[64];
        const char *message;
        c = (loki_collector *)&c;
        CHECK_STATUS(loki_collector_new(running, strlen(running), NULL, bad[i], &c), LOKI_STATUS_INVALID_OPTION);
        CHECK(c == NULL);
        message = loki_last_error_message();
        snprintf(prefix, sizeof prefix, "cache_ttl_seconds %s", shown[i]);
        CHECK(strncmp(message, prefix, strlen(prefix)) == 0);
        CHECK(strlen(message) > strlen(tail) && strcmp(message + strlen(message) - strlen(tail), tail) == 0);
    }
    /* -0.0 is zero (no cache); a TTL of 1e18 s is long but valid. */
    CHECK_STATUS(loki_collector_new(running, strlen(running), NULL, -0.0, &c), LOKI_STATUS_OK);
    CHECK_STATUS(loki_collector_render(c, LOKI_FORMAT_JSON, &text), LOKI_STATUS_OK);
    loki_string_free(&text);
    CHECK_STATUS(loki_collector_render(c, LOKI_FORMAT_JSON, &text), LOKI_STATUS_OK);
    loki_string_free(&text);
    CHECK(loki_collector_collections(c) == 2);
    loki_collector_free(c);
    CHECK_STATUS(loki_collector_new(running, strlen(running), NULL, 1e18, &c), LOKI_STATUS_OK);
    CHECK_STATUS(loki_collector_render(c, LOKI_FORMAT_JSON, &text), LOKI_STATUS_OK);
    loki_string_free(&text);
    CHECK_STATUS(loki_collector_render(c, LOKI_FORMAT_PROMETHEUS, &text), LOKI_STATUS_OK);
    loki_string_free(&text);
    CHECK(loki_collector_collections(c) == 1);
    loki_collector_free(c);
}

static void clocks_at_the_edges_of_time(void) {
    int i;
    loki_options o;
    loki_snapshot *s = NULL;
    loki_string text;
    size_t n = strlen(running);
    memset(&o, 0, sizeof o);
    o.size = sizeof o;
    o.flags = LOKI_OPTION_NOW;
    o.now_nanoseconds = UINT32_MAX;
    CHECK_FAILS(loki_collect(running, n, &o, &s), LOKI_STATUS_INVALID_OPTION,
                "loki_options.now_nanoseconds: 4294967295 is not below 1e9");
    o.now_nanoseconds = TEN_TO_9;
    CHECK_FAILS(loki_render(running, n, &o, LOKI_FORMAT_JSON, &text), LOKI_STATUS_INVALID_OPTION,
                "loki_options.now_nanoseconds: 1000000000 is not below 1e9");
    /* Without LOKI_OPTION_NOW the clock fields are ignored. */
    o.flags = 0;
    o.now_seconds = INT64_MIN;
    CHECK_STATUS(loki_collect(running, n, &o, &s), LOKI_STATUS_OK);
    loki_snapshot_free(s);
    s = NULL;
    /* Clocks before the session started (1970, and 292 billion years BC)
     * give an uptime of 0 and say so. */
    o.flags = LOKI_OPTION_NOW;
    for (i = 0; i < 2; i++) {
        o.now_seconds = i == 0 ? -1 : INT64_MIN;
        o.now_nanoseconds = i == 0 ? TEN_TO_9 - 1 : 0;
        CHECK_STATUS(loki_collect(running, n, &o, &s), LOKI_STATUS_OK);
        CHECK(value_of(s, "loki_uptime_seconds") == 0.0);
        check_one_warning(s, "dashboard-state.json", "the session start is in the future; uptime 0");
        loki_snapshot_free(s);
    s = NULL;
    }
    /* The far end of time: a finite uptime, rendered in shortest form. The
     * session must be alive then whatever the clock, so it is the run whose
     * loki.pid names PID 1; its start is that file's mtime (the checkout's). */
    o.now_seconds = INT64_MAX;
    o.now_nanoseconds = 0;
    CHECK_STATUS(loki_collect(live_run, strlen(live_run), &o, &s), LOKI_STATUS_OK);
    CHECK(value_of(s, "loki_session_status") == 1.0);
    CHECK(value_of(s, "loki_uptime_seconds") > 9.2e18 && value_of(s, "loki_uptime_seconds") < 9.3e18);
    CHECK_STATUS(loki_render_snapshot(s, LOKI_FORMAT_PROMETHEUS, &text), LOKI_STATUS_OK);
    CHECK(has(&text, "\nloki_uptime_seconds 9.22337203"));
    loki_string_free(&text);
    loki_snapshot_free(s);
    s = NULL;
}

static void option_fields_at_their_extremes(void) {
    loki_options o = options_at("2026-01-05T12:00:00Z");
    loki_snapshot *s = NULL;
    loki_collector *c = (loki_collector *)&s;
    size_t n = strlen(running);
    o.flags = UINT32_MAX;
    CHECK_FAILS(loki_collect(running, n, &o, &s), LOKI_STATUS_INVALID_OPTION,
                "loki_options.flags: unknown bits 0xffffffc0");
    CHECK_FAILS(loki_collector_new(running, n, &o, 1.0, &c), LOKI_STATUS_INVALID_OPTION,
                "loki_options.flags: unknown bits 0xffffffc0");
    CHECK(c == NULL);
    o.flags = LOKI_OPTION_NOW;
    o.max_iterations = UINT64_MAX;
    o.json_size_cap = UINT64_MAX;
    CHECK_STATUS(loki_collect(running, n, &o, &s), LOKI_STATUS_OK);
    CHECK(value_of(s, "loki_iteration_max") == (double)UINT64_MAX && value_of(s, "loki_iteration_current") == 12 && loki_snapshot_warning_count(s) == 0);
    loki_snapshot_free(s);
    s = NULL;
    /* A 1-byte cap skips every JSON source, with a warning each. */
    o.max_iterations = 0;
    o.json_size_cap = 1;
    CHECK_STATUS(loki_collect(running, n, &o, &s), LOKI_STATUS_OK);
    CHECK(value_of(s, "loki_iteration_current") == 0 && value_of(s, "loki_iteration_max") == 1000);
    check_failed(s, "dashboard-state.json state/agents.json metrics/efficiency");
    check_warning(s, "dashboard-state.json", "is 1128 bytes, over the 1-byte limit; skipped; its values fall back");
    loki_snapshot_free(s);
    s = NULL;
    /* The longest stale_after there is: the 2 s old state shows a running session. */
    o.json_size_cap = 0;
    o.flags = LOKI_OPTION_NOW | LOKI_OPTION_STALE_AFTER;
    o.stale_after_ms = UINT64_MAX;
    CHECK_STATUS(loki_collect(running, n, &o, &s), LOKI_STATUS_OK);
    CHECK(value_of(s, "loki_session_status") == 1);
    loki_snapshot_free(s);
    s = NULL;
}

static void indices_at_size_max_are_out_of_range(void) {
    loki_families *f = NULL;
    loki_family family;
    loki_sample sample;
    loki_str name, value;
    loki_snapshot *s = NULL;
    loki_str path, message;
    CHECK_STATUS(loki_parse("a{k=\"v\"} 1\n", 11, LOKI_PARSE_FORMAT_PROMETHEUS, &f), LOKI_STATUS_OK);
    CHECK_FAILS(loki_families_family(f, SIZE_MAX, &family), LOKI_STATUS_OUT_OF_RANGE,
                "family index 18446744073709551615 is out of range (there are 1)");
    CHECK_FAILS(loki_families_sample(f, SIZE_MAX, 0, &sample), LOKI_STATUS_OUT_OF_RANGE,
                "family index 18446744073709551615 is out of range (there are 1)");
    CHECK_FAILS(loki_families_sample(f, 0, SIZE_MAX, &sample), LOKI_STATUS_OUT_OF_RANGE,
                "sample index 18446744073709551615 is out of range (family 0 has 1)");
    CHECK_FAILS(loki_families_label(f, 0, 0, SIZE_MAX, &name, &value), LOKI_STATUS_OUT_OF_RANGE,
                "label index 18446744073709551615 is out of range (the sample has 1)");
    CHECK_FAILS(loki_families_label(f, 0, SIZE_MAX, 0, &name, &value), LOKI_STATUS_OUT_OF_RANGE,
                "sample index 18446744073709551615 is out of range (family 0 has 1)");
    loki_families_free(f);
    CHECK_STATUS(loki_collect("/nonexistent/x", 14, NULL, &s), LOKI_STATUS_OK);
    CHECK_FAILS(loki_snapshot_warning(s, SIZE_MAX, &path, &message), LOKI_STATUS_OUT_OF_RANGE,
                "warning index 18446744073709551615 is out of range (the snapshot has 1)");
    CHECK_FAILS(loki_snapshot_failed_source(s, SIZE_MAX, &path), LOKI_STATUS_OUT_OF_RANGE,
                "failed source index 18446744073709551615 is out of range (the snapshot has 0)");
    loki_snapshot_free(s);
    s = NULL;
}

/* ---- invalid UTF-8 and embedded NULs ----------------------------------------- */

static void invalid_utf8_is_refused_in_every_text_argument(void) {
    /* Each after "ab": overlong NUL, a surrogate, past U+10FFFF, a truncated
     * sequence, a lone continuation byte, 0xff. */
    static const char *const bad[6] = {"ab\xc0\x80", "ab\xed\xa0\x80", "ab\xf4\x90\x80\x80",
                                       "ab\xe2\x82",  "ab\x80",        "ab\xff"};
    int i;
    for (i = 0; i < 6; i++) {
        size_t n = strlen(bad[i]);
        loki_snapshot *s = NULL;
        loki_string text;
        loki_collector *c = (loki_collector *)&s;
        loki_families *f = (loki_families *)&c;
        int64_t secs = 1;
        uint32_t ns = 1, code = 77;
        CHECK_FAILS(loki_collect(bad[i], n, NULL, &s), LOKI_STATUS_INVALID_UTF8, "dir is not valid UTF-8 (at byte 2)");
        CHECK(s == NULL);
        CHECK_FAILS(loki_render(bad[i], n, NULL, LOKI_FORMAT_JSON, &text), LOKI_STATUS_INVALID_UTF8,
                    "dir is not valid UTF-8 (at byte 2)");
        CHECK(text.data == NULL);
        CHECK_FAILS(loki_collector_new(bad[i], n, NULL, 1.0, &c), LOKI_STATUS_INVALID_UTF8,
                    "dir is not valid UTF-8 (at byte 2)");
        CHECK(c == NULL);
        CHECK_FAILS(loki_parse(bad[i], n, LOKI_PARSE_FORMAT_AUTO, &f), LOKI_STATUS_INVALID_UTF8,
                    "text is not valid UTF-8 (at byte 2)");
        CHECK(f == NULL);
        CHECK_FAILS(loki_parse_borrowed(bad[i], n, LOKI_PARSE_FORMAT_AUTO, &f), LOKI_STATUS_INVALID_UTF8,
                    "text is not valid UTF-8 (at byte 2)");
        CHECK_FAILS(loki_parse_rfc3339(bad[i], n, &secs, &ns), LOKI_STATUS_INVALID_UTF8,
                    "text is not valid UTF-8 (at byte 2)");
        CHECK(secs == 1 && ns == 1);
        CHECK_FAILS(loki_format_from_name(bad[i], n, &code), LOKI_STATUS_INVALID_UTF8,
                    "name is not valid UTF-8 (at byte 2)");
        CHECK(code == 77);
        /* Not a parse error: there is no position. */
        CHECK(loki_last_error_position(NULL, NULL) == 0);
    }
}

static void embedded_nuls_in_names_and_timestamps_are_refused_and_shown(void) {
    uint32_t code = 5;
    int64_t secs;
    uint32_t ns;
    CHECK_FAILS(loki_format_from_name("json\0", 5, &code), LOKI_STATUS_UNKNOWN_FORMAT,
                "unknown format \"json\\0\": expected one of prometheus, openmetrics, json");
    CHECK(code == 5);
    CHECK_FAILS(loki_parse_rfc3339("2026-01-05T12:00:00Z\0", 21, &secs, &ns), LOKI_STATUS_INVALID_TIMESTAMP,
                "invalid timestamp \"2026-01-05T12:00:00Z\\0\": expected RFC 3339, e.g. 2026-01-05T10:00:00Z");
}

static void embedded_nuls_in_expositions(void) {
    static const char in_value[] = "a{x=\"p\0q\"} 1\n";
    static const char in_line[] = "# TYPE a gauge\na 1\0\n";
    static const char in_help[] = "# HELP a x\0y\n# TYPE a gauge\na 1\n";
    loki_families *f = NULL;
    loki_family family;
    loki_str name, value;
    size_t line = 0, column = 0;
    /* Inside a label value a NUL is just a byte: it comes back with its length. */
    CHECK_STATUS(loki_parse(in_value, sizeof in_value - 1, LOKI_PARSE_FORMAT_PROMETHEUS, &f), LOKI_STATUS_OK);
    CHECK_STATUS(loki_families_label(f, 0, 0, 0, &name, &value), LOKI_STATUS_OK);
    CHECK(value.len == 3 && memcmp(value.data, "p\0q", 3) == 0);
    loki_families_free(f);
    CHECK_STATUS(loki_parse(in_help, sizeof in_help - 1, LOKI_PARSE_FORMAT_PROMETHEUS, &f), LOKI_STATUS_OK);
    CHECK_STATUS(loki_families_family(f, 0, &family), LOKI_STATUS_OK);
    CHECK(family.help.len == 3 && memcmp(family.help.data, "x\0y", 3) == 0);
    loki_families_free(f);
    /* After a value it is garbage at a precise position. */
    CHECK_STATUS(loki_parse(in_line, sizeof in_line - 1, LOKI_PARSE_FORMAT_PROMETHEUS, &f),
                 LOKI_STATUS_PARSE_ERROR);
    CHECK(f == NULL);
    CHECK(loki_last_error_position(&line, &column) == 1 && line == 2 && column == 3);
    CHECK_MESSAGE("2:3: expected the sample value: a decimal number (e.g. 1, -2.5, 1e-3), +Inf, -Inf or NaN");
}

static void a_path_with_an_embedded_nul_is_never_read(void) {
    char dir[4096], expected[4200];
    size_t n;
    loki_snapshot *s = NULL;
    loki_options o;
    memset(&o, 0, sizeof o);
    o.size = sizeof o;
    /* The classic sizeof() slip: the length counts the terminator. The path
     * must not be cut at the NUL and read as `running`. */
    n = (size_t)snprintf(dir, sizeof dir, "%s", running) + 1;
    CHECK_STATUS(loki_collect(dir, n, NULL, &s), LOKI_STATUS_OK);
    CHECK(value_of(s, "loki_iteration_current") == 0);
    check_failed(s, ".");
    check_one_warning(s, ".",
                      "the directory cannot be read: file name contained an unexpected NUL byte; "
                      "all values are fallbacks");
    loki_snapshot_free(s);
    s = NULL;
    /* Required, it is not found, and the message says why (the NUL shown as U+FFFD). */
    o.flags = LOKI_OPTION_REQUIRE_DIRECTORY;
    snprintf(expected, sizeof expected, "%s\xef\xbf\xbd: cannot be read: file name contained an unexpected NUL byte",
             running);
    CHECK_FAILS(loki_collect(dir, n, &o, &s), LOKI_STATUS_DIRECTORY_NOT_FOUND, expected);
    CHECK(s == NULL);
}

/* ---- misuse the API defines as safe ------------------------------------------ */

static void calls_after_a_failure_see_zeroed_results(void) {
    loki_families *f = (loki_families *)&f;
    loki_family family;
    loki_snapshot *s = NULL;
    loki_string text;
    loki_str path, message;
    double v = 1.0;
    loki_collector *c = NULL;
    /* A failed parse leaves NULL, which every accessor refuses. */
    CHECK_STATUS(loki_parse("a{\n", 3, LOKI_PARSE_FORMAT_AUTO, &f), LOKI_STATUS_PARSE_ERROR);
    CHECK(f == NULL && loki_families_count(f) == 0);
    CHECK_FAILS(loki_families_family(f, 0, &family), LOKI_STATUS_NULL_ARGUMENT, "families is NULL");
    loki_families_free(f);
    /* A failed collect leaves NULL, which every accessor refuses and free ignores. */
    s = (loki_snapshot *)&c;
    CHECK_STATUS(loki_collect(running, strlen(running), NULL, (loki_snapshot **)NULL), LOKI_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(loki_collect("\xff", 1, NULL, &s), LOKI_STATUS_INVALID_UTF8);
    CHECK(s == NULL && loki_snapshot_warning_count(s) == 0);
    CHECK_FAILS(loki_snapshot_warning(s, 0, &path, &message), LOKI_STATUS_NULL_ARGUMENT, "snapshot is NULL");
    CHECK_FAILS(loki_snapshot_value(s, "loki_cost_usd", 13, NULL, 0, &v), LOKI_STATUS_NULL_ARGUMENT,
                "snapshot is NULL");
    CHECK(v == 0.0);
    CHECK_FAILS(loki_render_snapshot(s, LOKI_FORMAT_PROMETHEUS, &text), LOKI_STATUS_NULL_ARGUMENT,
                "snapshot is NULL");
    loki_string_free(&text);
    loki_string_free(&text);
    loki_snapshot_free(s);
    loki_snapshot_free(s);
    /* A collector stays usable after refused calls. */
    CHECK_STATUS(loki_collector_new(running, strlen(running), NULL, 60.0, &c), LOKI_STATUS_OK);
    CHECK_STATUS(loki_collector_render(c, 7, &text), LOKI_STATUS_UNKNOWN_FORMAT);
    CHECK_STATUS(loki_collector_collect(c, NULL), LOKI_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(loki_collector_render(c, LOKI_FORMAT_OPENMETRICS, &text), LOKI_STATUS_OK);
    CHECK(has(&text, "\nloki_tasks_total{status=\"completed\"} 7\n"));
    CHECK_MESSAGE("");
    loki_string_free(&text);
    loki_collector_free(c);
}

static void infallible_calls_keep_the_last_error(void) {
    loki_families *f = NULL;
    size_t line = 0, column = 0;
    CHECK_STATUS(loki_parse("a 1\nb{\n", 7, LOKI_PARSE_FORMAT_PROMETHEUS, &f), LOKI_STATUS_PARSE_ERROR);
    CHECK(loki_version() != NULL);
    CHECK(loki_families_count(NULL) == 0);
    CHECK(loki_collector_collections(NULL) == 0);
    CHECK(loki_format_content_type(99) == NULL);
    loki_string_free(NULL);
    CHECK(strncmp(loki_last_error_message(), "2:3: ", 5) == 0);
    /* Either out-pointer may be NULL. */
    CHECK(loki_last_error_position(NULL, &column) == 1 && column == 3);
    CHECK(loki_last_error_position(&line, NULL) == 1 && line == 2);
    CHECK(loki_last_error_position(NULL, NULL) == 1);
    /* A success clears both. */
    CHECK_STATUS(loki_parse("a 1\n", 4, LOKI_PARSE_FORMAT_PROMETHEUS, &f), LOKI_STATUS_OK);
    loki_families_free(f);
    CHECK_MESSAGE("");
    line = column = 9;
    CHECK(loki_last_error_position(&line, &column) == 0 && line == 9 && column == 9);
}

struct error_worker {
    uint32_t code; /* the format code this thread fails with */
    int rounds;
    int ok;
    /* One snapshot all workers read at once (a snapshot is immutable). */
    const loki_snapshot *snapshot;
};

static void *fail_with_own_code(void *arg) {
    struct error_worker *w = (struct error_worker *)arg;
    char expected[160];
    int i;
    w->ok = strcmp(loki_last_error_message(), "") == 0 && loki_last_error_position(NULL, NULL) == 0;
    snprintf(expected, sizeof expected,
             "unknown format code %u: expected a loki_format (0 prometheus, 1 openmetrics, 2 json)", w->code);
    for (i = 0; i < w->rounds; i++) {
        loki_string text;
        if (loki_render_snapshot(NULL, w->code, &text) != LOKI_STATUS_NULL_ARGUMENT) w->ok = 0;
        if (strcmp(loki_last_error_message(), "snapshot is NULL") != 0) w->ok = 0;
        if (loki_collector_render(NULL, w->code, &text) != LOKI_STATUS_NULL_ARGUMENT) w->ok = 0;
        if (loki_render_snapshot(w->snapshot, w->code, &text) != LOKI_STATUS_UNKNOWN_FORMAT) w->ok = 0;
        if (strcmp(loki_last_error_message(), expected) != 0) w->ok = 0;
        sched_yield();
    }
    return NULL;
}

static void the_last_error_belongs_to_its_thread(void) {
    struct error_worker workers[8];
    pthread_t threads[8];
    loki_families *f = NULL;
    size_t line = 0, column = 0;
    loki_snapshot *shared = NULL;
    int i;
    CHECK_STATUS(loki_collect("/nonexistent/x", 14, NULL, &shared), LOKI_STATUS_OK);
    CHECK_STATUS(loki_parse("a{\n", 3, LOKI_PARSE_FORMAT_PROMETHEUS, &f), LOKI_STATUS_PARSE_ERROR);
    for (i = 0; i < 8; i++) {
        workers[i].snapshot = shared;
        workers[i].code = 100u + (uint32_t)i;
        workers[i].rounds = thread_rounds * 5;
        workers[i].ok = 0;
        CHECK(pthread_create(&threads[i], NULL, fail_with_own_code, &workers[i]) == 0);
    }
    for (i = 0; i < 8; i++) {
        CHECK(pthread_join(threads[i], NULL) == 0);
        CHECK(workers[i].ok);
    }
    /* This thread's parse error is untouched by the others'. */
    CHECK(strncmp(loki_last_error_message(), "1:3: ", 5) == 0);
    CHECK(loki_last_error_position(&line, &column) == 1 && line == 1 && column == 3);
    loki_snapshot_free(shared);
}

struct shared {
    loki_collector *collector;
    loki_families *families;
    loki_string expected[3]; /* the collector's three encodings, made on one thread */
    int rounds;
};

static int same_text(const loki_string *a, const loki_string *b) {
    return a->len == b->len && a->data && b->data && memcmp(a->data, b->data, a->len) == 0;
}

static void *use_shared_objects(void *arg) {
    struct shared *sh = (struct shared *)arg;
    int i, ok = 1;
    for (i = 0; i < sh->rounds; i++) {
        loki_string text;
        loki_snapshot *s = NULL;
        loki_sample sample;
        uint32_t format = (uint32_t)(i % 3);
        if (loki_collector_render(sh->collector, format, &text) != LOKI_STATUS_OK) ok = 0;
        if (!same_text(&text, &sh->expected[format])) ok = 0;
        loki_string_free(&text);
        if (loki_collector_collect(sh->collector, &s) != LOKI_STATUS_OK) ok = 0;
        if (value_of(s, "loki_iteration_current") != 12 || tasks(s, "completed") != 7 || value_of(s, "loki_uptime_seconds") != 7200.0) ok = 0;
        loki_snapshot_free(s);
    s = NULL;
        if (i % 7 == 0 && loki_collector_invalidate(sh->collector) != LOKI_STATUS_OK) ok = 0;
        if (loki_collector_collections(sh->collector) == 0) ok = 0;
        if (loki_families_count(sh->families) != LOKI_DEFAULT_FAMILIES) ok = 0;
        if (loki_families_sample(sh->families, 3, 2, &sample) != LOKI_STATUS_OK || sample.value != 7.0) ok = 0;
    }
    return ok ? arg : NULL;
}

static void many_threads_share_one_collector_and_one_families(void) {
    loki_options o = options_at("2026-01-05T12:00:00Z");
    struct shared sh;
    pthread_t threads[8];
    int i;
    memset(&sh, 0, sizeof sh);
    sh.rounds = thread_rounds;
    CHECK_STATUS(loki_collector_new(running, strlen(running), &o, 0.001, &sh.collector), LOKI_STATUS_OK);
    for (i = 0; i < 3; i++) CHECK_STATUS(loki_collector_render(sh.collector, (uint32_t)i, &sh.expected[i]), LOKI_STATUS_OK);
    CHECK_STATUS(loki_parse(sh.expected[1].data, sh.expected[1].len, LOKI_PARSE_FORMAT_OPENMETRICS, &sh.families),
                 LOKI_STATUS_OK);
    for (i = 0; i < 8; i++) CHECK(pthread_create(&threads[i], NULL, use_shared_objects, &sh) == 0);
    for (i = 0; i < 8; i++) {
        void *result = NULL;
        CHECK(pthread_join(threads[i], &result) == 0);
        CHECK(result == &sh);
    }
    CHECK(loki_collector_collections(sh.collector) >= 2);
    for (i = 0; i < 3; i++) loki_string_free(&sh.expected[i]);
    loki_families_free(sh.families);
    loki_collector_free(sh.collector);
}

/* ---- paths that are not directories ------------------------------------------- */

/* collect (plain and REQUIRE_DIRECTORY) of `dir` must warn `warning` as a
 * failed directory, resp. fail with DIRECTORY_NOT_FOUND and `error`. */
static void check_unusable_directory(const char *dir, const char *warning, const char *error) {
    loki_options o;
    loki_snapshot *s = NULL;
    loki_collector *c = (loki_collector *)&s;
    memset(&o, 0, sizeof o);
    o.size = sizeof o;
    CHECK_STATUS(loki_collect(dir, strlen(dir), &o, &s), LOKI_STATUS_OK);
    CHECK(value_of(s, "loki_iteration_current") == 0 && value_of(s, "loki_events_total") == 0);
    check_one_warning(s, ".", warning);
    loki_snapshot_free(s);
    s = NULL;
    o.flags = LOKI_OPTION_REQUIRE_DIRECTORY;
    CHECK_FAILS(loki_collect(dir, strlen(dir), &o, &s), LOKI_STATUS_DIRECTORY_NOT_FOUND, error);
    CHECK_FAILS(loki_collector_new(dir, strlen(dir), &o, 1.0, &c), LOKI_STATUS_DIRECTORY_NOT_FOUND, error);
    CHECK(c == NULL);
}

static void directories_that_are_files_fifos_or_loops_are_warnings(void) {
    char path[4096], link2[4096], error[4600], longname[4200];
    const char *missing = scratch_path(path, "missing");
    snprintf(error, sizeof error, "%s: no such directory", missing);
    check_unusable_directory(missing, "the directory does not exist; all values are fallbacks", error);
    write_text(scratch_path(path, "file"), "not a directory\n");
    snprintf(error, sizeof error, "%s: not a directory", path);
    check_unusable_directory(path, "the directory is a regular file; all values are fallbacks", error);
    CHECK(mkfifo(scratch_path(path, "fifo"), 0600) == 0);
    snprintf(error, sizeof error, "%s: not a directory", path);
    check_unusable_directory(path, "the directory is a FIFO; all values are fallbacks", error);
    scratch_path(link2, "loop2");
    CHECK(symlink(link2, scratch_path(path, "loop1")) == 0);
    CHECK(symlink(path, link2) == 0);
    snprintf(error, sizeof error, "%s: cannot be read: Too many levels of symbolic links (os error 40)", path);
    check_unusable_directory(
        path, "the directory cannot be read: too many levels of symbolic links; all values are fallbacks", error);
    snprintf(path, sizeof path, "%s/file/.loki", scratch);
    snprintf(error, sizeof error, "%s: cannot be read: Not a directory (os error 20)", path);
    check_unusable_directory(
        path, "the directory cannot be read: a path component is not a directory; all values are fallbacks", error);
    /* A collector checks the directory when it is made, not at each collection. */
    {
        loki_options o;
        loki_collector *c = NULL;
        loki_snapshot *s = NULL;
        memset(&o, 0, sizeof o);
        o.size = sizeof o;
    o.size = sizeof o;
        o.flags = LOKI_OPTION_REQUIRE_DIRECTORY;
        CHECK(mkdir(scratch_path(path, "gone"), 0700) == 0);
        CHECK_STATUS(loki_collector_new(path, strlen(path), &o, 0.0, &c), LOKI_STATUS_OK);
        CHECK(rmdir(path) == 0);
        CHECK_STATUS(loki_collector_collect(c, &s), LOKI_STATUS_OK);
        check_one_warning(s, ".", "the directory does not exist; all values are fallbacks");
        loki_snapshot_free(s);
    s = NULL;
        loki_collector_free(c);
    }
    memset(longname, 'n', 4100);
    longname[0] = '/';
    longname[4100] = '\0';
    snprintf(error, sizeof error, "%s: cannot be read: File name too long (os error 36)", longname);
    check_unusable_directory(
        longname, "the directory cannot be read: File name too long (os error 36); all values are fallbacks", error);
}

static void fifos_in_place_of_source_files_never_block(void) {
    static const char *const sources[6] = {"dashboard-state.json", "loki.pid", "state/agents.json",
                                           "pricing.json", "events.jsonl", "metrics/efficiency/iteration-1.json"};
    char dir[4096], path[4200];
    loki_snapshot *s = NULL;
    loki_string text;
    loki_collector *c = NULL;
    int i;
    scratch_path(dir, "fifos");
    CHECK(mkdir(dir, 0700) == 0);
    snprintf(path, sizeof path, "%s/state", dir);
    CHECK(mkdir(path, 0700) == 0);
    snprintf(path, sizeof path, "%s/metrics", dir);
    CHECK(mkdir(path, 0700) == 0);
    snprintf(path, sizeof path, "%s/metrics/efficiency", dir);
    CHECK(mkdir(path, 0700) == 0);
    for (i = 0; i < 6; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, sources[i]);
        CHECK(mkfifo(path, 0600) == 0);
    }
    /* A blocked open or read would hang here; the watchdog (alarm) fails it. */
    alarm(RUNNING_ON_VALGRIND ? 300 : 30);
    CHECK_STATUS(loki_collect(dir, strlen(dir), NULL, &s), LOKI_STATUS_OK);
    check_failed(s, "dashboard-state.json loki.pid state/agents.json metrics/efficiency pricing.json events.jsonl");
    check_warning(s, "dashboard-state.json", "is a FIFO, not a regular file; its values fall back");
    check_warning(s, "loki.pid", "is a FIFO, not a regular file");
    check_warning(s, "events.jsonl", "is a FIFO, not a regular file; events counted as 0");
    loki_snapshot_free(s);
    s = NULL;
    CHECK_STATUS(loki_collector_new(dir, strlen(dir), NULL, 0.0, &c), LOKI_STATUS_OK);
    CHECK_STATUS(loki_collector_render(c, LOKI_FORMAT_JSON, &text), LOKI_STATUS_OK);
    CHECK(has(&text, "is a FIFO"));
    loki_string_free(&text);
    loki_collector_free(c);
    /* The efficiency folder itself as a FIFO. */
    snprintf(path, sizeof path, "%s/metrics/efficiency/iteration-1.json", dir);
    CHECK(unlink(path) == 0);
    snprintf(path, sizeof path, "%s/metrics/efficiency", dir);
    CHECK(rmdir(path) == 0);
    CHECK(mkfifo(path, 0600) == 0);
    CHECK_STATUS(loki_collect(dir, strlen(dir), NULL, &s), LOKI_STATUS_OK);
    check_warning(s, "metrics/efficiency", "is a FIFO, not a directory; cost 0");
    loki_snapshot_free(s);
    s = NULL;
    alarm(0);
}

static void sparse_sources_of_many_gigabytes_are_skipped_unread(void) {
    static const char *const sources[3] = {"dashboard-state.json", "state/agents.json", "pricing.json"};
    const off_t size = (off_t)8 << 30; /* 8 GiB, sparse: no disk used */
    char dir[4096], path[4200];
    loki_snapshot *s = NULL;
    int i;
    scratch_path(dir, "sparse");
    CHECK(mkdir(dir, 0700) == 0);
    snprintf(path, sizeof path, "%s/state", dir);
    CHECK(mkdir(path, 0700) == 0);
    for (i = 0; i < 3; i++) {
        int fd;
        snprintf(path, sizeof path, "%s/%s", dir, sources[i]);
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        CHECK(fd >= 0);
        if (fd < 0) continue;
        CHECK(ftruncate(fd, size) == 0);
        close(fd);
    }
    CHECK_STATUS(loki_collect(dir, strlen(dir), NULL, &s), LOKI_STATUS_OK);
    check_failed(s, "dashboard-state.json state/agents.json pricing.json");
    check_warning(s, "dashboard-state.json",
                  "is 8589934592 bytes, over the 67108864-byte limit; skipped; its values fall back");
    loki_snapshot_free(s);
    s = NULL;
}

/* ---- huge expositions ---------------------------------------------------------- */

/* A growable byte buffer for building inputs. */
struct buf {
    char *data;
    size_t len, cap;
};

static void put(struct buf *b, const char *bytes, size_t n) {
    if (!b->data && b->cap) return; /* an earlier allocation failed */
    if (b->len + n + 1 > b->cap) {
        size_t cap = (b->len + n + 1) * 2;
        char *grown = (char *)realloc(b->data, cap);
        if (!grown) {
            free(b->data);
            b->data = NULL;
            b->cap = 1;
            return;
        }
        b->data = grown;
        b->cap = cap;
    }
    memcpy(b->data + b->len, bytes, n);
    b->len += n;
    b->data[b->len] = '\0';
}

static void puts_(struct buf *b, const char *s) {
    put(b, s, strlen(s));
}

static void put_repeat(struct buf *b, const char *unit, size_t times) {
    size_t n = strlen(unit), i;
    for (i = 0; i < times; i++) put(b, unit, n);
}

static void parse_of_a_100_mb_exposition_with_both_entry_points(void) {
    const size_t families = 1000, samples = 10, value_len = (10 * 1000 - 40) / shrink;
    struct buf b = {NULL, 0, 0};
    char *value = (char *)malloc(value_len + 1);
    size_t i, j;
    int borrowed;
    CHECK(value != NULL);
    if (!value) return;
    memset(value, 'v', value_len);
    value[value_len] = '\0';
    for (i = 0; i < families; i++) {
        char line[128];
        snprintf(line, sizeof line, "# HELP f%zu family %zu\n# TYPE f%zu gauge\n", i, i, i);
        puts_(&b, line);
        for (j = 0; j < samples; j++) {
            snprintf(line, sizeof line, "f%zu{j=\"%zu\",v=\"", i, j);
            puts_(&b, line);
            put(&b, value, value_len);
            snprintf(line, sizeof line, "\"} %zu.5\n", i * samples + j);
            puts_(&b, line);
        }
    }
    puts_(&b, "# EOF\n");
    CHECK(b.data != NULL);
    printf("     (exposition of %zu bytes, %zu samples)\n", b.len, families * samples);
    if (!b.data) goto out;
    for (borrowed = 0; borrowed < 2; borrowed++) {
        loki_families *f = NULL;
        loki_family family;
        loki_sample s;
        loki_str name, v;
        CHECK_STATUS((borrowed ? loki_parse_borrowed : loki_parse)(b.data, b.len, LOKI_PARSE_FORMAT_AUTO, &f),
                     LOKI_STATUS_OK);
        CHECK(loki_families_count(f) == families);
        CHECK_STATUS(loki_families_family(f, families - 1, &family), LOKI_STATUS_OK);
        CHECK(str_eq(family.name, "f999") && str_eq(family.help, "family 999") && family.sample_count == samples);
        CHECK_STATUS(loki_families_sample(f, families - 1, samples - 1, &s), LOKI_STATUS_OK);
        CHECK(s.value == (double)(families * samples - 1) + 0.5 && s.label_count == 2);
        CHECK_STATUS(loki_families_label(f, families - 1, samples - 1, 1, &name, &v), LOKI_STATUS_OK);
        CHECK(str_eq(name, "v") && v.len == value_len && memcmp(v.data, value, value_len) == 0);
        CHECK(borrowed == (v.data >= b.data && v.data < b.data + b.len));
        loki_families_free(f);
    }
out:
    free(b.data);
    free(value);
}

static void parse_of_a_million_samples(void) {
    const size_t n = 1000000 / shrink;
    struct buf b = {NULL, 0, 0};
    loki_families *f = NULL;
    loki_family family;
    loki_sample s;
    loki_str name, value;
    char last[32];
    size_t i;
    puts_(&b, "# TYPE m counter\n");
    for (i = 0; i < n; i++) {
        char line[64];
        snprintf(line, sizeof line, "m_total{i=\"%zu\"} %zu\n", i, i);
        puts_(&b, line);
    }
    puts_(&b, "# EOF\n");
    CHECK(b.data != NULL);
    printf("     (%zu samples, %zu bytes)\n", n, b.len);
    if (!b.data) return;
    CHECK_STATUS(loki_parse(b.data, b.len, LOKI_PARSE_FORMAT_OPENMETRICS, &f), LOKI_STATUS_OK);
    free(b.data);
    CHECK(loki_families_count(f) == 1);
    CHECK_STATUS(loki_families_family(f, 0, &family), LOKI_STATUS_OK);
    CHECK(str_eq(family.name, "m") && family.metric_type == LOKI_METRIC_TYPE_COUNTER && family.sample_count == n);
    CHECK_STATUS(loki_families_sample(f, 0, n - 1, &s), LOKI_STATUS_OK);
    CHECK(str_eq(s.name, "m_total") && s.value == (double)(n - 1));
    snprintf(last, sizeof last, "%zu", n - 1);
    CHECK_STATUS(loki_families_label(f, 0, n - 1, 0, &name, &value), LOKI_STATUS_OK);
    CHECK(str_eq(name, "i") && str_eq(value, last));
    CHECK_STATUS(loki_families_sample(f, 0, n, &s), LOKI_STATUS_OUT_OF_RANGE);
    loki_families_free(f);
}

static void a_16_mb_line_parses_and_its_errors_have_character_columns(void) {
    /* 16 MiB of "é" (2 bytes, 1 character each). */
    const size_t chars = (8u << 20) / shrink;
    struct buf b = {NULL, 0, 0};
    loki_families *f = NULL;
    loki_family family;
    size_t line = 0, column = 0;
    char expected[160];
    puts_(&b, "# HELP big ");
    put_repeat(&b, "\xc3\xa9", chars);
    puts_(&b, "\n# TYPE big gauge\nbig 1\n");
    CHECK(b.data != NULL);
    printf("     (a HELP line of %zu bytes)\n", 2 * chars + 11);
    if (!b.data) return;
    CHECK_STATUS(loki_parse(b.data, b.len, LOKI_PARSE_FORMAT_PROMETHEUS, &f), LOKI_STATUS_OK);
    CHECK_STATUS(loki_families_family(f, 0, &family), LOKI_STATUS_OK);
    CHECK(family.help.len == 2 * chars && memcmp(family.help.data, b.data + 11, 2 * chars) == 0);
    loki_families_free(f);
    /* The same line as a sample whose value is garbage: the column counts characters. */
    b.len = 0;
    puts_(&b, "big{x=\"");
    put_repeat(&b, "\xc3\xa9", chars);
    puts_(&b, "\"} 12x\n");
    CHECK_STATUS(loki_parse(b.data, b.len, LOKI_PARSE_FORMAT_PROMETHEUS, &f), LOKI_STATUS_PARSE_ERROR);
    CHECK(f == NULL);
    CHECK(loki_last_error_position(&line, &column) == 1);
    /* `big{x="`, the characters, `"} `, then the value: column chars + 11. */
    CHECK(line == 1 && column == chars + 11);
    snprintf(expected, sizeof expected,
             "1:%zu: expected the sample value: a decimal number (e.g. 1, -2.5, 1e-3), +Inf, -Inf or NaN", chars + 11);
    CHECK_MESSAGE(expected);
    free(b.data);
}

static void a_10_mb_label_value_with_escapes_is_unescaped_whole(void) {
    /* 10 MB: "ab\\" + "\\n" + "\\\"" units: 2 + 1 + 1 + 1 = 5 bytes unescaped, 8 escaped. */
    const size_t units = (10u * 1000 * 1000 / 8) / shrink;
    struct buf b = {NULL, 0, 0};
    loki_families *f = NULL;
    loki_str name, value;
    size_t i;
    int ok = 1;
    puts_(&b, "# TYPE t gauge\nt{big=\"");
    put_repeat(&b, "ab\\\\\\n\\\"", units);
    puts_(&b, "\",small=\"s\"} 1\n");
    CHECK(b.data != NULL);
    printf("     (a label value of %zu bytes escaped)\n", 8 * units);
    if (!b.data) return;
    CHECK_STATUS(loki_parse_borrowed(b.data, b.len, LOKI_PARSE_FORMAT_PROMETHEUS, &f), LOKI_STATUS_OK);
    CHECK_STATUS(loki_families_label(f, 0, 0, 0, &name, &value), LOKI_STATUS_OK);
    CHECK(str_eq(name, "big") && value.len == 5 * units);
    for (i = 0; ok && i < units && value.len == 5 * units; i++) ok = memcmp(value.data + 5 * i, "ab\\\n\"", 5) == 0;
    CHECK(ok);
    /* Unescaped, so not borrowed from the input. */
    CHECK(!(value.data >= b.data && value.data < b.data + b.len));
    CHECK_STATUS(loki_families_label(f, 0, 0, 1, &name, &value), LOKI_STATUS_OK);
    CHECK(str_eq(name, "small") && str_eq(value, "s"));
    loki_families_free(f);
    free(b.data);
}

/* `{l0="v",l1="v",...}` with `n` labels, then `tail` (e.g. `,le="1"`) and `}`. */
static void put_label_set(struct buf *b, size_t n, const char *tail) {
    size_t i;
    puts_(b, "{");
    for (i = 0; i < n; i++) {
        char label[40];
        snprintf(label, sizeof label, "%sl%zu=\"v\"", i ? "," : "", i);
        puts_(b, label);
    }
    puts_(b, tail);
    puts_(b, "}");
}

static void label_sets_of_300000_labels_parse_in_linear_time(void) {
    /* Repeated names were found by a pairwise scan, and OpenMetrics grouped
     * histogram buckets by pairwise label comparison: 100 000 labels took
     * about 10 s, 300 000 would take 90 s. The watchdog allows 20. */
    const size_t n = 300000 / shrink;
    struct buf b = {NULL, 0, 0};
    loki_families *f = NULL;
    loki_sample s;
    char expected[160];
    size_t line = 0, column = 0, at;
    alarm(RUNNING_ON_VALGRIND ? 300 : 20);
    puts_(&b, "a");
    put_label_set(&b, n, "");
    puts_(&b, " 1\n");
    CHECK(b.data != NULL);
    printf("     (%zu labels, %zu bytes)\n", n, b.len);
    if (!b.data) goto out;
    CHECK_STATUS(loki_parse_borrowed(b.data, b.len, LOKI_PARSE_FORMAT_PROMETHEUS, &f), LOKI_STATUS_OK);
    CHECK_STATUS(loki_families_sample(f, 0, 0, &s), LOKI_STATUS_OK);
    CHECK(s.label_count == n);
    loki_families_free(f);
    /* The same with the next-to-last name again at the end: found, at its column. */
    b.len -= strlen("} 1\n");
    at = b.len + 2; /* the column (1-based) of the name after the comma */
    snprintf(expected, sizeof expected, ",l%zu=\"x\"} 1\n", n - 2);
    puts_(&b, expected);
    CHECK_STATUS(loki_parse(b.data, b.len, LOKI_PARSE_FORMAT_PROMETHEUS, &f), LOKI_STATUS_PARSE_ERROR);
    CHECK(loki_last_error_position(&line, &column) == 1 && line == 1 && column == at);
    snprintf(expected, sizeof expected, "1:%zu: label name \"l%zu\" is repeated in the label set", at, n - 2);
    CHECK_MESSAGE(expected);
    /* An OpenMetrics histogram whose two buckets carry them all. */
    b.len = 0;
    puts_(&b, "# TYPE h histogram\nh_bucket");
    put_label_set(&b, n, ",le=\"1\"");
    puts_(&b, " 1\nh_bucket");
    put_label_set(&b, n, ",le=\"+Inf\"");
    puts_(&b, " 2\n# EOF\n");
    CHECK(b.data != NULL);
    if (!b.data) goto out;
    CHECK_STATUS(loki_parse_borrowed(b.data, b.len, LOKI_PARSE_FORMAT_OPENMETRICS, &f), LOKI_STATUS_OK);
    CHECK(loki_families_count(f) == 1);
    CHECK_STATUS(loki_families_sample(f, 0, 1, &s), LOKI_STATUS_OK);
    CHECK(s.label_count == n + 1 && s.value == 2.0);
    loki_families_free(f);
out:
    alarm(0);
    free(b.data);
}

int main(int argc, char **argv) {
    const char *tmp = getenv("TMPDIR");
    int status;
    if (argc != 2) {
        fprintf(stderr, "usage: %s FIXTURES_DIR\n", argv[0]);
        return 2;
    }
    fixtures = argv[1];
    snprintf(running, sizeof running, "%s/running/.loki", fixtures);
    snprintf(live_run, sizeof live_run, "%s/runsh-mid-run/.loki", fixtures);
    snprintf(scratch, sizeof scratch, "%s/loki-hostile.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(scratch)) {
        perror("mkdtemp");
        return 2;
    }
    unsetenv("LOKI_MAX_ITERATIONS");
    unsetenv("LOKI_DIR");
    unsetenv("LOKI_METRICS_EXPORTER_METRICS");
    unsetenv("LOKI_METRICS_STALE_AFTER");
    if (RUNNING_ON_VALGRIND) {
        shrink = 64;
        thread_rounds = 6;
        printf("under valgrind: huge inputs at 1/%zu size, %d calls per thread\n", shrink, thread_rounds);
    }

    RUN(null_pointers_of_collect_render_and_snapshot_functions);
    RUN(null_pointers_of_collector_functions);
    RUN(null_pointers_of_parse_and_its_accessors);
    RUN(null_pointers_of_format_and_timestamp_helpers);
    RUN(null_is_a_no_op_for_every_release_function);
    RUN(huge_lengths_with_a_null_pointer_are_null_argument);
    RUN(lengths_over_ptrdiff_max_are_refused_before_any_read);
    RUN(zero_lengths_are_the_empty_text);
    RUN(unterminated_buffers_are_read_only_up_to_their_length);
    RUN(out_of_range_format_codes_are_unknown_format);
    RUN(cache_ttls_outside_their_range_are_invalid_option);
    RUN(clocks_at_the_edges_of_time);
    RUN(option_fields_at_their_extremes);
    RUN(indices_at_size_max_are_out_of_range);
    RUN(invalid_utf8_is_refused_in_every_text_argument);
    RUN(embedded_nuls_in_names_and_timestamps_are_refused_and_shown);
    RUN(embedded_nuls_in_expositions);
    RUN(a_path_with_an_embedded_nul_is_never_read);
    RUN(calls_after_a_failure_see_zeroed_results);
    RUN(infallible_calls_keep_the_last_error);
    RUN(the_last_error_belongs_to_its_thread);
    RUN(many_threads_share_one_collector_and_one_families);
    RUN(directories_that_are_files_fifos_or_loops_are_warnings);
    RUN(fifos_in_place_of_source_files_never_block);
    RUN(sparse_sources_of_many_gigabytes_are_skipped_unread);
    RUN(parse_of_a_100_mb_exposition_with_both_entry_points);
    RUN(parse_of_a_million_samples);
    RUN(a_16_mb_line_parses_and_its_errors_have_character_columns);
    RUN(a_10_mb_label_value_with_escapes_is_unescaped_whole);
    RUN(label_sets_of_300000_labels_parse_in_linear_time);

    status = harness_report();
    nftw(scratch, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    return status;
}
