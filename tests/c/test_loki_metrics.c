/* The C API's test suite.
 *
 * Usage: test_loki_metrics FIXTURES_DIR
 * (FIXTURES_DIR is tests/fixtures: one folder per golden case, holding the
 * `.loki` tree, `now` and expected.{prom,om,json}). Build with
 * -DEXPECTED_VERSION='"x.y.z"'. Prints "N passed, M failed". */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <math.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "harness.h"

#ifndef EXPECTED_VERSION
#error "build with -DEXPECTED_VERSION='\"x.y.z\"'"
#endif

/* Absent from the public header on purpose: a test-only panic trigger. */
loki_status loki_internal_test_panic(void);

static const char *fixtures;

/* ---- helpers ------------------------------------------------------------ */

/* The whole file at `path`, NUL-terminated; *len excludes the NUL. NULL if unreadable. */
static char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t cap = 0, n = 0, got;
    if (!f) return NULL;
    do {
        if (n + 4096 + 1 > cap) {
            char *grown;
            cap = (n + 4096 + 1) * 2;
            grown = (char *)realloc(buf, cap);
            if (!grown) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = grown;
        }
        got = fread(buf + n, 1, 4096, f);
        n += got;
    } while (got > 0);
    fclose(f);
    buf[n] = '\0';
    *len = n;
    return buf;
}

static void path_join(char *out, size_t cap, const char *a, const char *b) {
    snprintf(out, cap, "%s/%s", a, b);
}

/* Options with the fixture's clock (its `now` file, parsed by the library). */
static int fixture_options(const char *case_dir, loki_options *options) {
    char path[4096];
    size_t len = 0;
    char *now;
    loki_status status;
    memset(options, 0, sizeof *options);
    options->size = sizeof *options;
    path_join(path, sizeof path, case_dir, "now");
    now = read_file(path, &len);
    if (!now) return 0;
    status = loki_parse_rfc3339(now, len, &options->now_seconds, &options->now_nanoseconds);
    free(now);
    options->flags = LOKI_OPTION_NOW;
    return status == LOKI_STATUS_OK;
}

static int str_eq(loki_str s, const char *expected) {
    return s.data != NULL && s.len == strlen(expected) && memcmp(s.data, expected, s.len) == 0;
}

static int contains(const char *haystack, const char *needle) {
    return haystack != NULL && strstr(haystack, needle) != NULL;
}

/* The value of the unlabelled sample `name`, or -1 (and a failed check). */
static double value_of(const loki_snapshot *s, const char *name) {
    double v = -1.0;
    CHECK_STATUS(loki_snapshot_value(s, name, strlen(name), NULL, 0, &v), LOKI_STATUS_OK);
    return v;
}

/* The value of the sample `name` with the one label `label`=`lv`. */
static double labelled_value_of(const loki_snapshot *s, const char *name, const char *label, const char *lv) {
    double v = -1.0;
    loki_label l;
    l.name.data = label;
    l.name.len = strlen(label);
    l.value.data = lv;
    l.value.len = strlen(lv);
    CHECK_STATUS(loki_snapshot_value(s, name, strlen(name), &l, 1, &v), LOKI_STATUS_OK);
    return v;
}

/* Whether the snapshot has the exporter families. */
static int has_exporter(const loki_snapshot *s) {
    double v;
    const char *name = "loki_scrape_duration_seconds";
    return loki_snapshot_value(s, name, strlen(name), NULL, 0, &v) == LOKI_STATUS_OK;
}

/* Whether `path` is among the snapshot's failed sources. */
static int has_failed(const loki_snapshot *s, const char *path) {
    size_t i, n = loki_snapshot_failed_source_count(s);
    for (i = 0; i < n; i++) {
        loki_str p;
        if (loki_snapshot_failed_source(s, i, &p) == LOKI_STATUS_OK && str_eq(p, path)) return 1;
    }
    return 0;
}

static const char *const EXPECTED_FILES[3] = {"expected.prom", "expected.om", "expected.json"};
static const uint32_t FORMATS[3] = {LOKI_FORMAT_PROMETHEUS, LOKI_FORMAT_OPENMETRICS, LOKI_FORMAT_JSON};

enum render_route { FROM_DIRECTORY, FROM_SNAPSHOT, FROM_COLLECTOR };

/* Renders every golden case by `route` and compares it byte for byte. */
static void check_golden(enum render_route route) {
    DIR *dir = opendir(fixtures);
    struct dirent *entry;
    int cases = 0;
    CHECK(dir != NULL);
    if (!dir) return;
    while ((entry = readdir(dir)) != NULL) {
        char case_dir[4096], loki_dir[4096], path[4096];
        loki_options options;
        loki_snapshot *snapshot = NULL;
        loki_collector *collector = NULL;
        int f;
        if (entry->d_name[0] == '.') continue;
        path_join(case_dir, sizeof case_dir, fixtures, entry->d_name);
        path_join(loki_dir, sizeof loki_dir, case_dir, ".loki");
        if (!fixture_options(case_dir, &options)) {
            fprintf(stderr, "  case %s: cannot read or parse its `now`\n", entry->d_name);
            harness_current_failed = 1;
            continue;
        }
        cases++;
        if (route == FROM_SNAPSHOT)
            CHECK_STATUS(loki_collect(loki_dir, strlen(loki_dir), &options, &snapshot), LOKI_STATUS_OK);
        if (route == FROM_COLLECTOR)
            CHECK_STATUS(loki_collector_new(loki_dir, strlen(loki_dir), &options, 60.0, &collector), LOKI_STATUS_OK);
        for (f = 0; f < 3; f++) {
            loki_string text;
            size_t expected_len = 0;
            char *expected;
            path_join(path, sizeof path, case_dir, EXPECTED_FILES[f]);
            expected = read_file(path, &expected_len);
            CHECK(expected != NULL);
            if (route == FROM_DIRECTORY)
                CHECK_STATUS(loki_render(loki_dir, strlen(loki_dir), &options, FORMATS[f], &text), LOKI_STATUS_OK);
            else if (route == FROM_SNAPSHOT)
                CHECK_STATUS(loki_render_snapshot(snapshot, FORMATS[f], &text), LOKI_STATUS_OK);
            else
                CHECK_STATUS(loki_collector_render(collector, FORMATS[f], &text), LOKI_STATUS_OK);
            if (expected && (text.len != expected_len || memcmp(text.data, expected, expected_len) != 0)) {
                fprintf(stderr, "  case %s, %s: output differs (%zu bytes, expected %zu)\n", entry->d_name,
                        EXPECTED_FILES[f], text.len, expected_len);
                harness_current_failed = 1;
            }
            CHECK(text.data != NULL && text.data[text.len] == '\0');
            loki_string_free(&text);
            free(expected);
        }
        if (route == FROM_COLLECTOR) CHECK(loki_collector_collections(collector) == 1);
        loki_collector_free(collector);
        loki_snapshot_free(snapshot);
    }
    closedir(dir);
    CHECK(cases >= 30);
}

static int str_same(loki_str a, loki_str b) {
    if (a.data == NULL || b.data == NULL) return a.data == b.data;
    return a.len == b.len && memcmp(a.data, b.data, a.len) == 0;
}

/* Every family, sample and label of `a` equals `b`'s (values exactly). */
static void check_same_families(const loki_families *a, const loki_families *b, const char *what) {
    size_t f, s, l, count = loki_families_count(a);
    CHECK(count > 0);
    if (count != loki_families_count(b)) {
        fprintf(stderr, "  %s: %zu families, expected %zu\n", what, count, loki_families_count(b));
        harness_current_failed = 1;
        return;
    }
    for (f = 0; f < count; f++) {
        loki_family fa, fb;
        CHECK_STATUS(loki_families_family(a, f, &fa), LOKI_STATUS_OK);
        CHECK_STATUS(loki_families_family(b, f, &fb), LOKI_STATUS_OK);
        CHECK(str_same(fa.name, fb.name) && fa.metric_type == fb.metric_type);
        CHECK(str_same(fa.help, fb.help) && str_same(fa.unit, fb.unit));
        CHECK(fa.sample_count == fb.sample_count);
        for (s = 0; s < fa.sample_count && s < fb.sample_count; s++) {
            loki_sample sa, sb;
            CHECK_STATUS(loki_families_sample(a, f, s, &sa), LOKI_STATUS_OK);
            CHECK_STATUS(loki_families_sample(b, f, s, &sb), LOKI_STATUS_OK);
            CHECK(str_same(sa.name, sb.name) && sa.value == sb.value && sa.label_count == sb.label_count);
            for (l = 0; l < sa.label_count && l < sb.label_count; l++) {
                loki_str ka, va, kb, vb;
                CHECK_STATUS(loki_families_label(a, f, s, l, &ka, &va), LOKI_STATUS_OK);
                CHECK_STATUS(loki_families_label(b, f, s, l, &kb, &vb), LOKI_STATUS_OK);
                CHECK(str_same(ka, kb) && str_same(va, vb));
            }
        }
    }
}

/* A collected snapshot's families are what loki_parse reads from its expected OpenMetrics. */
static void snapshot_families_are_the_parsed_expected_openmetrics(void) {
    DIR *dir = opendir(fixtures);
    struct dirent *entry;
    int cases = 0;
    CHECK(dir != NULL);
    if (!dir) return;
    while ((entry = readdir(dir)) != NULL) {
        char case_dir[4096], loki_dir[4096], path[4096];
        loki_options options;
        loki_snapshot *snapshot = NULL;
        loki_families *from_snapshot = NULL, *parsed = NULL;
        size_t len = 0;
        char *expected;
        if (entry->d_name[0] == '.') continue;
        path_join(case_dir, sizeof case_dir, fixtures, entry->d_name);
        path_join(loki_dir, sizeof loki_dir, case_dir, ".loki");
        path_join(path, sizeof path, case_dir, "expected.om");
        if (!fixture_options(case_dir, &options) || (expected = read_file(path, &len)) == NULL) {
            harness_current_failed = 1;
            continue;
        }
        cases++;
        CHECK_STATUS(loki_collect(loki_dir, strlen(loki_dir), &options, &snapshot), LOKI_STATUS_OK);
        CHECK_STATUS(loki_snapshot_families(snapshot, &from_snapshot), LOKI_STATUS_OK);
        CHECK_STATUS(loki_parse(expected, len, LOKI_PARSE_FORMAT_OPENMETRICS, &parsed), LOKI_STATUS_OK);
        if (from_snapshot && parsed) check_same_families(from_snapshot, parsed, entry->d_name);
        loki_families_free(from_snapshot);
        loki_families_free(parsed);
        loki_snapshot_free(snapshot);
        free(expected);
    }
    closedir(dir);
    CHECK(cases >= 30);
}

static void snapshot_families_refuses_null_arguments(void) {
    loki_families *out = (loki_families *)&out;
    loki_snapshot *snapshot = NULL;
    const char *dir = "/nonexistent/loki-metrics-c-test";
    CHECK_STATUS(loki_snapshot_families(NULL, &out), LOKI_STATUS_NULL_ARGUMENT);
    CHECK(out == NULL);
    CHECK_STATUS(loki_collect(dir, strlen(dir), NULL, &snapshot), LOKI_STATUS_OK);
    CHECK_STATUS(loki_snapshot_families(snapshot, NULL), LOKI_STATUS_NULL_ARGUMENT);
    loki_snapshot_free(snapshot);
}

/* ---- the options table (tests/options/cases.txt) -------------------------- */

/* A case's value, with @running / @missing as fixture paths (into `buf`). */
static const char *case_value(const char *v, char *buf, size_t cap) {
    if (strcmp(v, "@running") == 0) snprintf(buf, cap, "%s/running/.loki", fixtures);
    else if (strcmp(v, "@missing") == 0) snprintf(buf, cap, "%s/missing-dir/.loki", fixtures);
    else snprintf(buf, cap, "%s", v);
    return buf;
}

static char *trim(char *s) {
    char *end;
    while (*s == ' ') s++;
    end = s + strlen(s);
    while (end > s && (end[-1] == ' ' || end[-1] == '\n')) *--end = '\0';
    return s;
}

/* Every case through loki_collect (`unknown` cases have no C form: the
 * options are a struct, whose unknown flag bits are refused elsewhere). */
static void every_options_case_behaves_as_the_table_says(void) {
    char path[4096], case_dir[4096];
    size_t len = 0;
    char *text, *line, *save = NULL;
    int cases = 0;
    loki_options now;
    snprintf(path, sizeof path, "%s/../options/cases.txt", fixtures);
    snprintf(case_dir, sizeof case_dir, "%s/running", fixtures);
    text = read_file(path, &len);
    CHECK(text != NULL && fixture_options(case_dir, &now));
    if (!text) return;
    for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *fields[4], *p = line, *item, *item_save = NULL;
        char dir[4096] = "", value[4096];
        const char *name;
        int n = 0, has_dir = 0;
        loki_options options = now;
        loki_snapshot *snapshot = NULL;
        loki_status status;
        if (line[0] == '#' || trim(line)[0] == '\0') continue;
        while (n < 4) {
            char *bar = strchr(p, '|');
            fields[n++] = p;
            if (!bar) break;
            *bar = '\0';
            p = bar + 1;
        }
        CHECK(n == 4);
        if (n != 4) continue;
        name = trim(fields[0]);
        if (strncmp(trim(fields[3]), "unknown", 7) == 0) continue;
        cases++;
        unsetenv("LOKI_DIR");
        unsetenv("LOKI_MAX_ITERATIONS");
        unsetenv("LOKI_METRICS_EXPORTER_METRICS");
        unsetenv("LOKI_METRICS_STALE_AFTER");
        if (strcmp(trim(fields[2]), "-") != 0) {
            for (item = strtok_r(trim(fields[2]), ",", &item_save); item; item = strtok_r(NULL, ",", &item_save)) {
                char *eq = strchr(item, '=');
                *eq = '\0';
                setenv(trim(item), case_value(trim(eq + 1), value, sizeof value), 1);
            }
        }
        item_save = NULL;
        if (strcmp(trim(fields[1]), "-") != 0) {
            for (item = strtok_r(trim(fields[1]), ",", &item_save); item; item = strtok_r(NULL, ",", &item_save)) {
                char *eq = strchr(item, '=');
                const char *k, *v;
                *eq = '\0';
                k = trim(item);
                v = case_value(trim(eq + 1), value, sizeof value);
                if (strcmp(k, "loki_dir") == 0) {
                    snprintf(dir, sizeof dir, "%s", v);
                    has_dir = 1;
                } else if (strcmp(k, "max_iterations") == 0) {
                    options.flags |= LOKI_OPTION_MAX_ITERATIONS;
                    options.max_iterations = strtoull(v, NULL, 10);
                } else if (strcmp(k, "json_size_cap") == 0) {
                    options.flags |= LOKI_OPTION_JSON_SIZE_CAP;
                    options.json_size_cap = strtoull(v, NULL, 10);
                } else if (strcmp(k, "exporter_metrics") == 0 && strcmp(v, "true") == 0) {
                    options.flags |= LOKI_OPTION_EXPORTER_METRICS;
                } else if (strcmp(k, "stale_after") == 0) {
                    /* Seconds in the table, milliseconds in C. */
                    options.flags |= LOKI_OPTION_STALE_AFTER;
                    options.stale_after_ms = (uint64_t)(strtod(v, NULL) * 1000.0 + 0.5);
                } else {
                    fprintf(stderr, "  %s: no C form for %s\n", name, k);
                    harness_current_failed = 1;
                }
            }
        }
        status = loki_collect(has_dir ? dir : NULL, has_dir ? strlen(dir) : 0, &options, &snapshot);
        if (strncmp(trim(fields[3]), "error", 5) == 0) {
            const char *option = trim(trim(fields[3]) + 5);
            if (status != LOKI_STATUS_INVALID_OPTION || strstr(loki_last_error_message(), option) == NULL) {
                fprintf(stderr, "  %s: status %d, message %s\n", name, (int)status, loki_last_error_message());
                harness_current_failed = 1;
            }
        } else {
            char *checks = trim(fields[3]) + 2, *check, *check_save = NULL;
            CHECK_STATUS(status, LOKI_STATUS_OK);
            for (check = strtok_r(checks, " ", &check_save); check; check = strtok_r(NULL, " ", &check_save)) {
                char *eq = strchr(check, '=');
                int ok;
                *eq = '\0';
                if (strcmp(check, "iteration_current") == 0 || strcmp(check, "iteration_max") == 0) {
                    char family[64];
                    snprintf(family, sizeof family, "loki_%s", check);
                    ok = value_of(snapshot, family) == strtod(eq + 1, NULL);
                } else if (strcmp(check, "exporter") == 0) {
                    ok = has_exporter(snapshot) == (strcmp(eq + 1, "yes") == 0);
                } else if (strcmp(check, "failed") == 0) {
                    ok = has_failed(snapshot, eq + 1);
                } else if (strcmp(check, "session_status") == 0) {
                    /* As loki_session_status's HELP text says. */
                    static const char *const statuses[3] = {"stopped", "running", "paused"};
                    double code = value_of(snapshot, "loki_session_status");
                    ok = code >= 0 && code <= 2 && strcmp(statuses[(int)code], eq + 1) == 0;
                } else {
                    ok = 0;
                }
                if (!ok) {
                    fprintf(stderr, "  %s: %s=%s does not hold\n", name, check, eq + 1);
                    harness_current_failed = 1;
                }
            }
        }
        loki_snapshot_free(snapshot);
    }
    unsetenv("LOKI_DIR");
    unsetenv("LOKI_MAX_ITERATIONS");
    unsetenv("LOKI_METRICS_EXPORTER_METRICS");
    unsetenv("LOKI_METRICS_STALE_AFTER");
    free(text);
    CHECK(cases >= 10);
}

static void running_dir(char *out, size_t cap) {
    snprintf(out, cap, "%s/running/.loki", fixtures);
}

static void running_options(loki_options *options) {
    char case_dir[4096];
    snprintf(case_dir, sizeof case_dir, "%s/running", fixtures);
    if (!fixture_options(case_dir, options)) harness_current_failed = 1;
}

/* ---- version, formats, timestamps --------------------------------------- */

static void version_is_the_packaged_version(void) {
    CHECK(strcmp(loki_version(), EXPECTED_VERSION) == 0);
}

static void format_names_map_to_format_codes(void) {
    uint32_t code = 99;
    CHECK_STATUS(loki_format_from_name("prometheus", 10, &code), LOKI_STATUS_OK);
    CHECK(code == LOKI_FORMAT_PROMETHEUS);
    CHECK_STATUS(loki_format_from_name("OpenMetrics", 11, &code), LOKI_STATUS_OK);
    CHECK(code == LOKI_FORMAT_OPENMETRICS);
    CHECK_STATUS(loki_format_from_name("json", 4, &code), LOKI_STATUS_OK);
    CHECK(code == LOKI_FORMAT_JSON);
    /* Length-delimited: the bytes after `len` are not read. */
    CHECK_STATUS(loki_format_from_name("jsonXYZ", 4, &code), LOKI_STATUS_OK);
    CHECK(code == LOKI_FORMAT_JSON);
}

static void content_types_are_the_http_content_types(void) {
    CHECK(strcmp(loki_format_content_type(LOKI_FORMAT_PROMETHEUS), "text/plain; version=0.0.4; charset=utf-8") == 0);
    CHECK(strcmp(loki_format_content_type(LOKI_FORMAT_OPENMETRICS),
                 "application/openmetrics-text; version=1.0.0; charset=utf-8") == 0);
    CHECK(strcmp(loki_format_content_type(LOKI_FORMAT_JSON), "application/json") == 0);
    CHECK(loki_format_content_type(3) == NULL);
}

static void rfc3339_parses_to_epoch_seconds_and_nanoseconds(void) {
    int64_t s = 0;
    uint32_t ns = 0;
    CHECK_STATUS(loki_parse_rfc3339("2026-01-05T12:00:00Z", 20, &s, &ns), LOKI_STATUS_OK);
    CHECK(s == 1767614400 && ns == 0);
    CHECK_STATUS(loki_parse_rfc3339("2026-01-05T14:00:00.25+02:00", 28, &s, &ns), LOKI_STATUS_OK);
    CHECK(s == 1767614400 && ns == 250000000);
    /* Before 1970: seconds are floored, nanoseconds count forward. */
    CHECK_STATUS(loki_parse_rfc3339("1969-12-31T23:59:59.5Z", 22, &s, &ns), LOKI_STATUS_OK);
    CHECK(s == -1 && ns == 500000000);
}

static void malformed_timestamps_are_invalid_timestamp(void) {
    int64_t s = 0;
    uint32_t ns = 0;
    CHECK_STATUS(loki_parse_rfc3339("yesterday", 9, &s, &ns), LOKI_STATUS_INVALID_TIMESTAMP);
    CHECK(contains(loki_last_error_message(), "yesterday"));
    CHECK_STATUS(loki_parse_rfc3339("2026-01-05T12:00:00", 19, &s, &ns), LOKI_STATUS_INVALID_TIMESTAMP);
    CHECK_STATUS(loki_parse_rfc3339("", 0, &s, &ns), LOKI_STATUS_INVALID_TIMESTAMP);
}

/* ---- golden fixtures ----------------------------------------------------- */

static void golden_fixtures_render_byte_identically_from_a_directory(void) {
    check_golden(FROM_DIRECTORY);
}

static void golden_fixtures_render_byte_identically_from_a_collected_snapshot(void) {
    check_golden(FROM_SNAPSHOT);
}

static void golden_fixtures_render_byte_identically_from_a_collector(void) {
    check_golden(FROM_COLLECTOR);
}

/* ---- collect ------------------------------------------------------------- */

static void collect_reads_every_value(void) {
    char dir[4096];
    loki_options options;
    loki_snapshot *s = NULL;
    running_dir(dir, sizeof dir);
    running_options(&options);
    CHECK_STATUS(loki_collect(dir, strlen(dir), &options, &s), LOKI_STATUS_OK);
    CHECK(value_of(s, "loki_session_status") == 1); /* running, as its HELP text says */
    CHECK(value_of(s, "loki_iteration_current") == 12 && value_of(s, "loki_iteration_max") == 1000);
    CHECK(labelled_value_of(s, "loki_tasks_total", "status", "pending") == 3);
    CHECK(labelled_value_of(s, "loki_tasks_total", "status", "in_progress") == 1);
    CHECK(labelled_value_of(s, "loki_tasks_total", "status", "completed") == 7);
    CHECK(labelled_value_of(s, "loki_tasks_total", "status", "failed") == 1);
    CHECK(value_of(s, "loki_agents_active") == 2 && value_of(s, "loki_agents_total") == 3);
    CHECK(value_of(s, "loki_cost_usd") == 1.2 && value_of(s, "loki_events_total") == 12);
    CHECK(value_of(s, "loki_events") == 12); /* the OpenMetrics family name too */
    CHECK(value_of(s, "loki_uptime_seconds") == 7200.0);
    CHECK(loki_snapshot_failed_source_count(s) == 0 && !has_exporter(s));
    CHECK(loki_snapshot_warning_count(s) == 0);
    loki_snapshot_free(s);
}

static void snapshot_value_of_an_absent_sample_is_not_found(void) {
    char dir[4096];
    loki_snapshot *s = NULL;
    loki_label l;
    double v = 5.0;
    running_dir(dir, sizeof dir);
    CHECK_STATUS(loki_collect(dir, strlen(dir), NULL, &s), LOKI_STATUS_OK);
    CHECK_STATUS(loki_snapshot_value(s, "loki_nope", 9, NULL, 0, &v), LOKI_STATUS_NOT_FOUND);
    CHECK(v == 0.0 && contains(loki_last_error_message(), "loki_nope"));
    /* Labels must match exactly: loki_tasks_total has no unlabelled sample. */
    CHECK_STATUS(loki_snapshot_value(s, "loki_tasks_total", 16, NULL, 0, &v), LOKI_STATUS_NOT_FOUND);
    l.name.data = "status";
    l.name.len = 6;
    l.value.data = "lost";
    l.value.len = 4;
    CHECK_STATUS(loki_snapshot_value(s, "loki_tasks_total", 16, &l, 1, &v), LOKI_STATUS_NOT_FOUND);
    CHECK_STATUS(loki_snapshot_value(s, "loki_tasks_total", 16, NULL, 1, &v), LOKI_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(loki_snapshot_value(s, "loki_cost_usd", 13, NULL, 0, NULL), LOKI_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(loki_snapshot_value(NULL, "loki_cost_usd", 13, NULL, 0, &v), LOKI_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(loki_snapshot_value(s, "loki\xff", 5, NULL, 0, &v), LOKI_STATUS_INVALID_UTF8);
    loki_snapshot_free(s);
}

static void collect_of_a_missing_directory_gives_fallbacks_and_a_directory_warning(void) {
    loki_snapshot *s = NULL;
    loki_str path, message;
    const char *dir = "/nonexistent/loki-metrics-c-test/.loki";
    CHECK_STATUS(loki_collect(dir, strlen(dir), NULL, &s), LOKI_STATUS_OK);
    CHECK(value_of(s, "loki_session_status") == 0); /* stopped */
    CHECK(value_of(s, "loki_iteration_current") == 0 && value_of(s, "loki_events_total") == 0);
    CHECK(loki_snapshot_warning_count(s) == 1);
    CHECK_STATUS(loki_snapshot_warning(s, 0, &path, &message), LOKI_STATUS_OK);
    CHECK(str_eq(path, ".") && path.data[path.len] == '\0');
    CHECK(message.data != NULL && contains(message.data, "does not exist"));
    CHECK(message.data != NULL && message.data[message.len] == '\0');
    loki_snapshot_free(s);
}

static void require_directory_turns_a_missing_directory_into_directory_not_found(void) {
    loki_options options = LOKI_OPTIONS_INIT;
    loki_snapshot *s = (loki_snapshot *)&options;
    loki_string text;
    loki_collector *collector = (loki_collector *)&text;
    const char *dir = "/nonexistent/loki-metrics-c-test/.loki";
    options.flags = LOKI_OPTION_REQUIRE_DIRECTORY;
    CHECK_STATUS(loki_collect(dir, strlen(dir), &options, &s), LOKI_STATUS_DIRECTORY_NOT_FOUND);
    CHECK(contains(loki_last_error_message(), "/nonexistent/loki-metrics-c-test/.loki"));
    CHECK(s == NULL);
    CHECK_STATUS(loki_render(dir, strlen(dir), &options, LOKI_FORMAT_PROMETHEUS, &text),
                 LOKI_STATUS_DIRECTORY_NOT_FOUND);
    CHECK_STATUS(loki_collector_new(dir, strlen(dir), &options, 2.0, &collector), LOKI_STATUS_DIRECTORY_NOT_FOUND);
    CHECK(collector == NULL);
}

static void warnings_carry_source_path_and_message(void) {
    char dir[4096];
    loki_options options = LOKI_OPTIONS_INIT;
    loki_snapshot *s = NULL;
    loki_str path, message;
    snprintf(dir, sizeof dir, "%s/state-truncated/.loki", fixtures);
    CHECK_STATUS(loki_collect(dir, strlen(dir), &options, &s), LOKI_STATUS_OK);
    CHECK(loki_snapshot_warning_count(s) >= 1);
    CHECK(has_failed(s, "dashboard-state.json"));
    CHECK_STATUS(loki_snapshot_warning(s, 0, &path, &message), LOKI_STATUS_OK);
    CHECK(str_eq(path, "dashboard-state.json"));
    CHECK(message.len > 0);
    loki_snapshot_free(s);
}

static void warning_index_past_the_end_is_out_of_range(void) {
    loki_snapshot *s = NULL;
    loki_str path, message;
    const char *dir = "/nonexistent/loki-metrics-c-test";
    CHECK_STATUS(loki_collect(dir, strlen(dir), NULL, &s), LOKI_STATUS_OK);
    CHECK_STATUS(loki_snapshot_warning(s, 1, &path, &message), LOKI_STATUS_OUT_OF_RANGE);
    CHECK_STATUS(loki_snapshot_warning(s, (size_t)-1, &path, &message), LOKI_STATUS_OUT_OF_RANGE);
    CHECK_STATUS(loki_snapshot_failed_source(s, 0, &path), LOKI_STATUS_OUT_OF_RANGE);
    CHECK_STATUS(loki_snapshot_warning(s, 0, NULL, &message), LOKI_STATUS_NULL_ARGUMENT);
    CHECK(loki_snapshot_warning_count(NULL) == 0 && loki_snapshot_failed_source_count(NULL) == 0);
    loki_snapshot_free(s);
}

static void a_null_directory_reads_loki_dir_from_the_environment(void) {
    char dir[4096];
    loki_snapshot *s = NULL;
    running_dir(dir, sizeof dir);
    CHECK(setenv("LOKI_DIR", dir, 1) == 0);
    CHECK_STATUS(loki_collect(NULL, 0, NULL, &s), LOKI_STATUS_OK);
    CHECK(value_of(s, "loki_iteration_current") == 12);
    CHECK(labelled_value_of(s, "loki_tasks_total", "status", "completed") == 7);
    loki_snapshot_free(s);
    unsetenv("LOKI_DIR");
}

static void max_iterations_option_sets_iteration_max(void) {
    char dir[4096];
    loki_options options;
    loki_snapshot *s = NULL;
    running_dir(dir, sizeof dir);
    running_options(&options);
    options.max_iterations = 50;
    CHECK_STATUS(loki_collect(dir, strlen(dir), &options, &s), LOKI_STATUS_OK);
    CHECK(value_of(s, "loki_iteration_max") == 50);
    loki_snapshot_free(s);
}

/* loki_session_status of the running fixture collected with `options`
 * (-1 when the collection fails). */
static double running_session_status(const loki_options *options) {
    char dir[4096];
    loki_snapshot *s = NULL;
    double status = -1;
    running_dir(dir, sizeof dir);
    if (loki_collect(dir, strlen(dir), options, &s) == LOKI_STATUS_OK) status = value_of(s, "loki_session_status");
    loki_snapshot_free(s);
    return status;
}

static void stale_after_ms_is_given_by_its_flag_or_by_being_non_zero(void) {
    loki_options options;
    running_options(&options);
    /* The running fixture's state is 2 s old at its `now`: 0 stopped, 1 running. */
    options.stale_after_ms = 1000;
    CHECK(running_session_status(&options) == 0);
    options.stale_after_ms = 3000;
    CHECK(running_session_status(&options) == 1);
    options.stale_after_ms = 0;
    options.flags |= LOKI_OPTION_STALE_AFTER;
    CHECK(running_session_status(&options) == 0);
}

static void options_of_the_size_before_stale_after_ms_leave_it_not_given(void) {
    loki_options options;
    running_options(&options);
    /* A program built before the field: what follows its struct is not read. */
    options.size = offsetof(loki_options, stale_after_ms);
    options.stale_after_ms = 1000;
    CHECK(running_session_status(&options) == 1);
}

static void exporter_metrics_option_adds_the_exporter_families(void) {
    char dir[4096];
    loki_options options;
    loki_snapshot *s = NULL;
    loki_string text;
    running_dir(dir, sizeof dir);
    running_options(&options);
    options.flags |= LOKI_OPTION_EXPORTER_METRICS;
    CHECK_STATUS(loki_collect(dir, strlen(dir), &options, &s), LOKI_STATUS_OK);
    CHECK(has_exporter(s) && value_of(s, "loki_scrape_duration_seconds") >= 0.0);
    CHECK_STATUS(loki_render_snapshot(s, LOKI_FORMAT_PROMETHEUS, &text), LOKI_STATUS_OK);
    CHECK(contains(text.data, "loki_exporter_build_info{version=\"" EXPECTED_VERSION "\"} 1"));
    CHECK(contains(text.data, "loki_scrape_duration_seconds"));
    loki_string_free(&text);
    loki_snapshot_free(s);
}

/* ---- render -------------------------------------------------------------- */

static void freeing_a_string_zeroes_it_and_a_second_free_is_a_no_op(void) {
    loki_string text;
    const char *dir = "/nonexistent/loki-metrics-c-test";
    CHECK_STATUS(loki_render(dir, strlen(dir), NULL, LOKI_FORMAT_JSON, &text), LOKI_STATUS_OK);
    CHECK(text.data != NULL && text.len > 0);
    loki_string_free(&text);
    CHECK(text.data == NULL && text.len == 0);
    loki_string_free(&text);
    loki_string_free(NULL);
    loki_snapshot_free(NULL);
    loki_collector_free(NULL);
}

/* ---- collector ----------------------------------------------------------- */

static void collector_reads_the_directory_once_per_ttl(void) {
    char dir[4096];
    loki_options options;
    loki_collector *collector = NULL;
    loki_string a, b;
    loki_snapshot *s = NULL;
    running_dir(dir, sizeof dir);
    running_options(&options);
    CHECK_STATUS(loki_collector_new(dir, strlen(dir), &options, 3600.0, &collector), LOKI_STATUS_OK);
    CHECK(loki_collector_collections(collector) == 0);
    CHECK_STATUS(loki_collector_render(collector, LOKI_FORMAT_PROMETHEUS, &a), LOKI_STATUS_OK);
    CHECK_STATUS(loki_collector_render(collector, LOKI_FORMAT_PROMETHEUS, &b), LOKI_STATUS_OK);
    CHECK_STATUS(loki_collector_collect(collector, &s), LOKI_STATUS_OK);
    CHECK(loki_collector_collections(collector) == 1);
    CHECK(a.data != b.data && a.len == b.len && memcmp(a.data, b.data, a.len) == 0);
    CHECK(value_of(s, "loki_iteration_current") == 12);
    CHECK_STATUS(loki_collector_invalidate(collector), LOKI_STATUS_OK);
    loki_snapshot_free(s);
    CHECK_STATUS(loki_collector_collect(collector, &s), LOKI_STATUS_OK);
    CHECK(loki_collector_collections(collector) == 2);
    loki_snapshot_free(s);
    loki_string_free(&a);
    loki_string_free(&b);
    loki_collector_free(collector);
}

static void collector_with_zero_ttl_reads_on_every_call(void) {
    char dir[4096];
    loki_collector *collector = NULL;
    loki_string text;
    int i;
    running_dir(dir, sizeof dir);
    CHECK_STATUS(loki_collector_new(dir, strlen(dir), NULL, 0.0, &collector), LOKI_STATUS_OK);
    for (i = 0; i < 3; i++) {
        CHECK_STATUS(loki_collector_render(collector, LOKI_FORMAT_JSON, &text), LOKI_STATUS_OK);
        loki_string_free(&text);
    }
    CHECK(loki_collector_collections(collector) == 3);
    loki_collector_free(collector);
}

static void *render_from_thread(void *arg) {
    loki_collector *collector = (loki_collector *)arg;
    int i, ok = 1;
    for (i = 0; i < 50; i++) {
        loki_string text;
        if (loki_collector_render(collector, (uint32_t)(i % 3), &text) != LOKI_STATUS_OK || text.len == 0) ok = 0;
        loki_string_free(&text);
    }
    return ok ? arg : NULL;
}

static void one_collector_serves_several_threads_at_once(void) {
    char dir[4096];
    loki_collector *collector = NULL;
    pthread_t threads[4];
    int i;
    running_dir(dir, sizeof dir);
    CHECK_STATUS(loki_collector_new(dir, strlen(dir), NULL, 0.0, &collector), LOKI_STATUS_OK);
    for (i = 0; i < 4; i++) CHECK(pthread_create(&threads[i], NULL, render_from_thread, collector) == 0);
    for (i = 0; i < 4; i++) {
        void *result = NULL;
        CHECK(pthread_join(threads[i], &result) == 0);
        CHECK(result == collector);
    }
    loki_collector_free(collector);
}

/* ---- statuses from bad arguments ----------------------------------------- */

static void null_pointers_are_null_argument(void) {
    loki_snapshot *s = NULL;
    loki_string text;
    loki_collector *collector = NULL;
    loki_str path, message;
    int64_t secs;
    uint32_t ns, code;
    CHECK_STATUS(loki_collect("x", 1, NULL, NULL), LOKI_STATUS_NULL_ARGUMENT);
    CHECK(contains(loki_last_error_message(), "out"));
    CHECK_STATUS(loki_collect(NULL, 5, NULL, &s), LOKI_STATUS_NULL_ARGUMENT);
    CHECK(contains(loki_last_error_message(), "dir"));
    CHECK_STATUS(loki_render("x", 1, NULL, LOKI_FORMAT_PROMETHEUS, NULL), LOKI_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(loki_render_snapshot(NULL, LOKI_FORMAT_PROMETHEUS, &text), LOKI_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(loki_snapshot_warning(NULL, 0, &path, &message), LOKI_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(loki_snapshot_failed_source(NULL, 0, &path), LOKI_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(loki_collector_new("x", 1, NULL, 1.0, NULL), LOKI_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(loki_collector_collect(NULL, &s), LOKI_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(loki_collector_render(NULL, LOKI_FORMAT_PROMETHEUS, &text), LOKI_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(loki_collector_invalidate(NULL), LOKI_STATUS_NULL_ARGUMENT);
    CHECK(loki_collector_collections(NULL) == 0);
    (void)collector;
    CHECK_STATUS(loki_parse_rfc3339("2026-01-05T12:00:00Z", 20, NULL, &ns), LOKI_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(loki_parse_rfc3339(NULL, 3, &secs, &ns), LOKI_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(loki_format_from_name(NULL, 4, &code), LOKI_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(loki_format_from_name("json", 4, NULL), LOKI_STATUS_NULL_ARGUMENT);
}

static void invalid_utf8_text_is_invalid_utf8(void) {
    static const char bad[] = "/tmp/\xff\xfe.loki";
    loki_snapshot *s = NULL;
    loki_string text;
    loki_collector *collector = NULL;
    int64_t secs;
    uint32_t ns, code;
    CHECK_STATUS(loki_collect(bad, sizeof bad - 1, NULL, &s), LOKI_STATUS_INVALID_UTF8);
    CHECK(contains(loki_last_error_message(), "at byte 5"));
    CHECK_STATUS(loki_render(bad, sizeof bad - 1, NULL, LOKI_FORMAT_PROMETHEUS, &text), LOKI_STATUS_INVALID_UTF8);
    CHECK_STATUS(loki_collector_new(bad, sizeof bad - 1, NULL, 1.0, &collector), LOKI_STATUS_INVALID_UTF8);
    CHECK_STATUS(loki_parse_rfc3339("2026\xc3", 5, &secs, &ns), LOKI_STATUS_INVALID_UTF8);
    CHECK_STATUS(loki_format_from_name("js\xc0n", 4, &code), LOKI_STATUS_INVALID_UTF8);
}

static void unknown_format_codes_and_names_are_unknown_format(void) {
    char dir[4096];
    loki_snapshot *s = NULL;
    loki_string text;
    loki_collector *collector = NULL;
    uint32_t code = 7;
    running_dir(dir, sizeof dir);
    CHECK_STATUS(loki_render(dir, strlen(dir), NULL, 3, &text), LOKI_STATUS_UNKNOWN_FORMAT);
    CHECK(contains(loki_last_error_message(), "unknown format code 3"));
    CHECK_STATUS(loki_render(dir, strlen(dir), NULL, 0xffffffffu, &text), LOKI_STATUS_UNKNOWN_FORMAT);
    CHECK_STATUS(loki_collect(dir, strlen(dir), NULL, &s), LOKI_STATUS_OK);
    CHECK_STATUS(loki_render_snapshot(s, 42, &text), LOKI_STATUS_UNKNOWN_FORMAT);
    loki_snapshot_free(s);
    CHECK_STATUS(loki_collector_new(dir, strlen(dir), NULL, 1.0, &collector), LOKI_STATUS_OK);
    CHECK_STATUS(loki_collector_render(collector, 9, &text), LOKI_STATUS_UNKNOWN_FORMAT);
    loki_collector_free(collector);
    CHECK_STATUS(loki_format_from_name("yaml", 4, &code), LOKI_STATUS_UNKNOWN_FORMAT);
    CHECK(contains(loki_last_error_message(), "yaml"));
    CHECK(code == 7);
}

static void out_of_range_options_are_invalid_option(void) {
    loki_options options = LOKI_OPTIONS_INIT;
    loki_snapshot *s = NULL;
    loki_collector *collector = (loki_collector *)&s;
    const char *dir = "/tmp";
    options.flags = 1u << 31;
    CHECK_STATUS(loki_collect(dir, strlen(dir), &options, &s), LOKI_STATUS_INVALID_OPTION);
    CHECK(contains(loki_last_error_message(), "flags"));
    options.flags = LOKI_OPTION_NOW;
    options.now_nanoseconds = 1000000000u;
    CHECK_STATUS(loki_collect(dir, strlen(dir), &options, &s), LOKI_STATUS_INVALID_OPTION);
    CHECK_STATUS(loki_collector_new(dir, strlen(dir), NULL, -1.0, &collector), LOKI_STATUS_INVALID_OPTION);
    CHECK(collector == NULL);
    CHECK_STATUS(loki_collector_new(dir, strlen(dir), NULL, NAN, &collector), LOKI_STATUS_INVALID_OPTION);
    CHECK_STATUS(loki_collector_new(dir, strlen(dir), NULL, INFINITY, &collector), LOKI_STATUS_INVALID_OPTION);
}

static void a_length_over_ptrdiff_max_is_invalid_argument(void) {
    loki_snapshot *s = NULL;
    CHECK_STATUS(loki_collect("x", SIZE_MAX, NULL, &s), LOKI_STATUS_INVALID_ARGUMENT);
    CHECK(contains(loki_last_error_message(), "PTRDIFF_MAX"));
}

static void failed_calls_zero_their_out_parameters(void) {
    loki_string text;
    loki_snapshot *s = (loki_snapshot *)&text;
    text.data = (char *)&s;
    text.len = 99;
    CHECK_STATUS(loki_render("x", 1, NULL, 77, &text), LOKI_STATUS_UNKNOWN_FORMAT);
    CHECK(text.data == NULL && text.len == 0);
    CHECK_STATUS(loki_collect(NULL, 1, NULL, &s), LOKI_STATUS_NULL_ARGUMENT);
    CHECK(s == NULL);
    /* Releasing the zeroed results is harmless. */
    loki_string_free(&text);
    loki_snapshot_free(s);
}

static void last_error_is_set_by_a_failure_and_cleared_by_a_success(void) {
    uint32_t code;
    CHECK_STATUS(loki_format_from_name("yaml", 4, &code), LOKI_STATUS_UNKNOWN_FORMAT);
    CHECK(strlen(loki_last_error_message()) > 0);
    CHECK_STATUS(loki_format_from_name("json", 4, &code), LOKI_STATUS_OK);
    CHECK(strcmp(loki_last_error_message(), "") == 0);
}

static void an_internal_panic_surfaces_as_the_panic_status(void) {
    uint32_t code;
    CHECK_STATUS(loki_internal_test_panic(), LOKI_STATUS_PANIC);
    CHECK(contains(loki_last_error_message(), "loki_internal_test_panic called"));
    /* The library stays usable after a panic. */
    CHECK_STATUS(loki_format_from_name("om", 2, &code), LOKI_STATUS_OK);
    CHECK(code == LOKI_FORMAT_OPENMETRICS);
}

/* ---- parse --------------------------------------------------------------- */

static loki_families *parse_ok(const char *text, uint32_t format) {
    loki_families *families = NULL;
    CHECK_STATUS(loki_parse(text, strlen(text), format, &families), LOKI_STATUS_OK);
    return families;
}

static void parse_of_golden_openmetrics_gives_the_default_families(void) {
    char path[4096];
    size_t len = 0;
    char *text;
    loki_families *families = NULL;
    loki_family f;
    loki_sample s;
    loki_str name, value;
    snprintf(path, sizeof path, "%s/running/expected.om", fixtures);
    text = read_file(path, &len);
    CHECK(text != NULL);
    if (!text) return;
    CHECK_STATUS(loki_parse(text, len, LOKI_PARSE_FORMAT_AUTO, &families), LOKI_STATUS_OK);
    /* The families own a copy: the input may go at once. */
    memset(text, 'x', len);
    free(text);
    CHECK(loki_families_count(families) == LOKI_DEFAULT_FAMILIES);
    CHECK_STATUS(loki_families_family(families, 0, &f), LOKI_STATUS_OK);
    CHECK(str_eq(f.name, "loki_session_status") && f.metric_type == LOKI_METRIC_TYPE_GAUGE);
    CHECK(str_eq(f.help, "Current session status (0=stopped, 1=running, 2=paused)"));
    CHECK(f.unit.data == NULL && f.sample_count == 1);
    CHECK_STATUS(loki_families_family(families, 3, &f), LOKI_STATUS_OK);
    CHECK(str_eq(f.name, "loki_tasks_total") && f.sample_count == 4);
    CHECK_STATUS(loki_families_sample(families, 3, 2, &s), LOKI_STATUS_OK);
    CHECK(str_eq(s.name, "loki_tasks_total") && s.label_count == 1 && s.value == 7.0 && s.has_timestamp == 0);
    CHECK_STATUS(loki_families_label(families, 3, 2, 0, &name, &value), LOKI_STATUS_OK);
    CHECK(str_eq(name, "status") && str_eq(value, "completed"));
    CHECK_STATUS(loki_families_family(families, 7, &f), LOKI_STATUS_OK);
    CHECK(str_eq(f.name, "loki_events") && f.metric_type == LOKI_METRIC_TYPE_COUNTER);
    CHECK_STATUS(loki_families_sample(families, 7, 0, &s), LOKI_STATUS_OK);
    CHECK(str_eq(s.name, "loki_events_total") && s.value == 12.0);
    CHECK_STATUS(loki_families_family(families, 8, &f), LOKI_STATUS_OK);
    CHECK(str_eq(f.name, "loki_uptime_seconds") && str_eq(f.unit, "seconds"));
    loki_families_free(families);
}

static void every_golden_exposition_parses_back_to_the_default_families(void) {
    DIR *dir = opendir(fixtures);
    struct dirent *entry;
    CHECK(dir != NULL);
    if (!dir) return;
    while ((entry = readdir(dir)) != NULL) {
        int f;
        if (entry->d_name[0] == '.') continue;
        for (f = 0; f < 2; f++) {
            char path[4096];
            size_t len = 0;
            char *text;
            loki_families *families = NULL;
            snprintf(path, sizeof path, "%s/%s/%s", fixtures, entry->d_name, EXPECTED_FILES[f]);
            text = read_file(path, &len);
            CHECK(text != NULL);
            if (!text) continue;
            CHECK_STATUS(loki_parse(text, len, f == 0 ? LOKI_PARSE_FORMAT_PROMETHEUS : LOKI_PARSE_FORMAT_OPENMETRICS,
                                    &families),
                         LOKI_STATUS_OK);
            CHECK(loki_families_count(families) == LOKI_DEFAULT_FAMILIES);
            loki_families_free(families);
            free(text);
        }
    }
    closedir(dir);
}

static void parse_reads_timestamps_escapes_and_special_values(void) {
    loki_families *families = parse_ok("# HELP a A \\\\ help\\nline\n# TYPE a gauge\n"
                                       "a{x=\"q\\\"uote\",y=\"line\\nbreak\"} 1.5 1700000000000\n"
                                       "a{x=\"inf\"} +Inf\na{x=\"nan\"} NaN\nb 2\n",
                                       LOKI_PARSE_FORMAT_PROMETHEUS);
    loki_family f;
    loki_sample s;
    loki_str name, value;
    CHECK(loki_families_count(families) == 2);
    CHECK_STATUS(loki_families_family(families, 0, &f), LOKI_STATUS_OK);
    CHECK(str_eq(f.help, "A \\ help\nline") && f.sample_count == 3);
    CHECK_STATUS(loki_families_sample(families, 0, 0, &s), LOKI_STATUS_OK);
    CHECK(s.value == 1.5 && s.has_timestamp != 0 && s.timestamp == 1700000000.0 && s.label_count == 2);
    CHECK_STATUS(loki_families_label(families, 0, 0, 0, &name, &value), LOKI_STATUS_OK);
    CHECK(str_eq(name, "x") && str_eq(value, "q\"uote"));
    CHECK_STATUS(loki_families_label(families, 0, 0, 1, &name, &value), LOKI_STATUS_OK);
    CHECK(str_eq(name, "y") && str_eq(value, "line\nbreak"));
    CHECK_STATUS(loki_families_sample(families, 0, 1, &s), LOKI_STATUS_OK);
    CHECK(isinf(s.value) && s.value > 0);
    CHECK_STATUS(loki_families_sample(families, 0, 2, &s), LOKI_STATUS_OK);
    CHECK(isnan(s.value));
    CHECK_STATUS(loki_families_family(families, 1, &f), LOKI_STATUS_OK);
    CHECK(str_eq(f.name, "b") && f.metric_type == LOKI_METRIC_TYPE_UNKNOWN && f.help.data == NULL);
    loki_families_free(families);
}

static int points_into(loki_str s, const char *buf, size_t len) {
    return s.data >= buf && s.data + s.len <= buf + len;
}

static void parse_copies_the_text_and_parse_borrowed_reads_it_in_place(void) {
    static const char text[] = "# TYPE requests_total counter\nrequests_total{a=\"b\"} 3\n";
    loki_families *copied = NULL, *borrowed = NULL;
    loki_sample s1, s2;
    CHECK_STATUS(loki_parse(text, sizeof text - 1, LOKI_PARSE_FORMAT_PROMETHEUS, &copied), LOKI_STATUS_OK);
    CHECK_STATUS(loki_parse_borrowed(text, sizeof text - 1, LOKI_PARSE_FORMAT_PROMETHEUS, &borrowed), LOKI_STATUS_OK);
    CHECK_STATUS(loki_families_sample(copied, 0, 0, &s1), LOKI_STATUS_OK);
    CHECK_STATUS(loki_families_sample(borrowed, 0, 0, &s2), LOKI_STATUS_OK);
    CHECK(str_eq(s1.name, "requests_total") && str_eq(s2.name, "requests_total") && s2.value == 3.0);
    CHECK(!points_into(s1.name, text, sizeof text));
    CHECK(points_into(s2.name, text, sizeof text));
    loki_families_free(copied);
    loki_families_free(borrowed);
    CHECK_STATUS(loki_parse_borrowed(NULL, 1, LOKI_PARSE_FORMAT_AUTO, &borrowed), LOKI_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(loki_parse_borrowed("\xff", 1, LOKI_PARSE_FORMAT_AUTO, &borrowed), LOKI_STATUS_INVALID_UTF8);
    CHECK_STATUS(loki_parse_borrowed("a 1\n", 4, 7, &borrowed), LOKI_STATUS_UNKNOWN_FORMAT);
    CHECK_STATUS(loki_parse_borrowed("a{ 1\n", 5, LOKI_PARSE_FORMAT_AUTO, &borrowed), LOKI_STATUS_PARSE_ERROR);
    CHECK(borrowed == NULL);
}

static void parse_of_empty_text_gives_no_families(void) {
    loki_families *families = NULL;
    CHECK_STATUS(loki_parse(NULL, 0, LOKI_PARSE_FORMAT_AUTO, &families), LOKI_STATUS_OK);
    CHECK(families != NULL && loki_families_count(families) == 0);
    loki_families_free(families);
}

static void invalid_exposition_is_parse_error_with_line_and_column(void) {
    static const char text[] = "# TYPE a gauge\na 1\nb{x=\"1\" 2\n";
    loki_families *families = (loki_families *)text;
    size_t line = 0, column = 0;
    CHECK_STATUS(loki_parse(text, sizeof text - 1, LOKI_PARSE_FORMAT_PROMETHEUS, &families), LOKI_STATUS_PARSE_ERROR);
    CHECK(families == NULL);
    CHECK(strncmp(loki_last_error_message(), "3:", 2) == 0);
    CHECK(loki_last_error_position(&line, &column) == 1);
    CHECK(line == 3 && column > 1);
    /* Only a parse error has a position. */
    CHECK_STATUS(loki_parse(text, 3, 9, &families), LOKI_STATUS_UNKNOWN_FORMAT);
    CHECK(loki_last_error_position(&line, &column) == 0);
}

static void openmetrics_refuses_hex_floats_that_strtod_would_accept(void) {
    static const char text[] = "# TYPE a gauge\na 0x1p3\n# EOF\n";
    loki_families *families = NULL;
    CHECK_STATUS(loki_parse(text, sizeof text - 1, LOKI_PARSE_FORMAT_OPENMETRICS, &families), LOKI_STATUS_PARSE_ERROR);
    CHECK(strncmp(loki_last_error_message(), "2:", 2) == 0);
    CHECK(families == NULL);
}

static void openmetrics_without_eof_is_a_parse_error(void) {
    static const char text[] = "# TYPE a gauge\na 1\n";
    loki_families *families = NULL;
    CHECK_STATUS(loki_parse(text, sizeof text - 1, LOKI_PARSE_FORMAT_OPENMETRICS, &families), LOKI_STATUS_PARSE_ERROR);
}

static void parse_accessors_past_the_end_are_out_of_range(void) {
    loki_families *families = parse_ok("# TYPE a gauge\na{l=\"v\"} 1\n", LOKI_PARSE_FORMAT_AUTO);
    loki_family f;
    loki_sample s;
    loki_str name, value;
    CHECK_STATUS(loki_families_family(families, 1, &f), LOKI_STATUS_OUT_OF_RANGE);
    CHECK_STATUS(loki_families_sample(families, 0, 1, &s), LOKI_STATUS_OUT_OF_RANGE);
    CHECK_STATUS(loki_families_sample(families, 5, 0, &s), LOKI_STATUS_OUT_OF_RANGE);
    CHECK_STATUS(loki_families_label(families, 0, 0, 1, &name, &value), LOKI_STATUS_OUT_OF_RANGE);
    CHECK_STATUS(loki_families_label(families, 0, 0, 0, &name, &value), LOKI_STATUS_OK);
    loki_families_free(families);
}

static void parse_bad_arguments_give_their_statuses(void) {
    loki_families *families = NULL;
    loki_family f;
    loki_sample s;
    loki_str name;
    CHECK_STATUS(loki_parse("a 1\n", 4, LOKI_PARSE_FORMAT_AUTO, NULL), LOKI_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(loki_parse(NULL, 4, LOKI_PARSE_FORMAT_AUTO, &families), LOKI_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(loki_parse("a{x=\"\xff\"} 1\n", 11, LOKI_PARSE_FORMAT_AUTO, &families), LOKI_STATUS_INVALID_UTF8);
    CHECK_STATUS(loki_parse("a 1\n", 4, 3, &families), LOKI_STATUS_UNKNOWN_FORMAT);
    CHECK_STATUS(loki_parse("a 1\n", SIZE_MAX, LOKI_PARSE_FORMAT_AUTO, &families), LOKI_STATUS_INVALID_ARGUMENT);
    CHECK(families == NULL);
    CHECK(loki_families_count(NULL) == 0);
    CHECK_STATUS(loki_families_family(NULL, 0, &f), LOKI_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(loki_families_sample(NULL, 0, 0, &s), LOKI_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(loki_families_label(NULL, 0, 0, 0, &name, &name), LOKI_STATUS_NULL_ARGUMENT);
    families = parse_ok("a 1\n", LOKI_PARSE_FORMAT_AUTO);
    CHECK_STATUS(loki_families_family(families, 0, NULL), LOKI_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(loki_families_label(families, 0, 0, 0, NULL, &name), LOKI_STATUS_NULL_ARGUMENT);
    loki_families_free(families);
    loki_families_free(NULL);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s FIXTURES_DIR\n", argv[0]);
        return 2;
    }
    fixtures = argv[1];
    unsetenv("LOKI_MAX_ITERATIONS");
    unsetenv("LOKI_DIR");
    unsetenv("LOKI_METRICS_EXPORTER_METRICS");

    RUN(version_is_the_packaged_version);
    RUN(format_names_map_to_format_codes);
    RUN(content_types_are_the_http_content_types);
    RUN(rfc3339_parses_to_epoch_seconds_and_nanoseconds);
    RUN(malformed_timestamps_are_invalid_timestamp);
    RUN(golden_fixtures_render_byte_identically_from_a_directory);
    RUN(golden_fixtures_render_byte_identically_from_a_collected_snapshot);
    RUN(golden_fixtures_render_byte_identically_from_a_collector);
    RUN(collect_reads_every_value);
    RUN(snapshot_value_of_an_absent_sample_is_not_found);
    RUN(snapshot_families_are_the_parsed_expected_openmetrics);
    RUN(snapshot_families_refuses_null_arguments);
    RUN(every_options_case_behaves_as_the_table_says);
    RUN(collect_of_a_missing_directory_gives_fallbacks_and_a_directory_warning);
    RUN(require_directory_turns_a_missing_directory_into_directory_not_found);
    RUN(warnings_carry_source_path_and_message);
    RUN(warning_index_past_the_end_is_out_of_range);
    RUN(a_null_directory_reads_loki_dir_from_the_environment);
    RUN(max_iterations_option_sets_iteration_max);
    RUN(stale_after_ms_is_given_by_its_flag_or_by_being_non_zero);
    RUN(options_of_the_size_before_stale_after_ms_leave_it_not_given);
    RUN(exporter_metrics_option_adds_the_exporter_families);
    RUN(freeing_a_string_zeroes_it_and_a_second_free_is_a_no_op);
    RUN(collector_reads_the_directory_once_per_ttl);
    RUN(collector_with_zero_ttl_reads_on_every_call);
    RUN(one_collector_serves_several_threads_at_once);
    RUN(parse_of_golden_openmetrics_gives_the_default_families);
    RUN(every_golden_exposition_parses_back_to_the_default_families);
    RUN(parse_reads_timestamps_escapes_and_special_values);
    RUN(parse_copies_the_text_and_parse_borrowed_reads_it_in_place);
    RUN(parse_of_empty_text_gives_no_families);
    RUN(invalid_exposition_is_parse_error_with_line_and_column);
    RUN(openmetrics_refuses_hex_floats_that_strtod_would_accept);
    RUN(openmetrics_without_eof_is_a_parse_error);
    RUN(parse_accessors_past_the_end_are_out_of_range);
    RUN(parse_bad_arguments_give_their_statuses);
    RUN(null_pointers_are_null_argument);
    RUN(invalid_utf8_text_is_invalid_utf8);
    RUN(unknown_format_codes_and_names_are_unknown_format);
    RUN(out_of_range_options_are_invalid_option);
    RUN(a_length_over_ptrdiff_max_is_invalid_argument);
    RUN(failed_calls_zero_their_out_parameters);
    RUN(last_error_is_set_by_a_failure_and_cleared_by_a_success);
    RUN(an_internal_panic_surfaces_as_the_panic_status);
    return harness_report();
}
