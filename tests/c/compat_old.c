/*
 * An "old" program for the ABI compatibility check (scripts/test-c.sh): built
 * against libloki_metrics.so.1 without the test-only family, then run against
 * a library rebuilt with it. It must keep working, see the new family as
 * data, and pass options shorter than today's struct, as an older program
 * compiled against a shorter loki_options would.
 *
 * Usage: compat_old FIXTURES_DIR absent|present
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>

#include "loki_metrics.h"

/* loki_options as a program compiled before json_size_cap and the clock
 * would have it: only its size, flags and max_iterations. */
struct old_options {
    size_t size;
    uint32_t flags;
    uint64_t max_iterations;
};

static int failures = 0;

static void check(int ok, const char *what) {
    printf("%s %s\n", ok ? "ok  " : "FAIL", what);
    if (!ok) failures++;
}

static int has_family(const loki_families *families, const char *name) {
    size_t i, n = loki_families_count(families);
    for (i = 0; i < n; i++) {
        loki_family f;
        if (loki_families_family(families, i, &f) == LOKI_STATUS_OK && f.name.len == strlen(name) &&
            memcmp(f.name.data, name, f.name.len) == 0)
            return 1;
    }
    return 0;
}

int main(int argc, char **argv) {
    char dir[4096];
    struct old_options old;
    loki_snapshot *snapshot = NULL;
    loki_families *families = NULL;
    loki_string text;
    double v = 0;
    int present;
    if (argc != 3) {
        fprintf(stderr, "usage: %s FIXTURES_DIR absent|present\n", argv[0]);
        return 2;
    }
    present = strcmp(argv[2], "present") == 0;
    snprintf(dir, sizeof dir, "%s/running/.loki", argv[1]);
    memset(&old, 0, sizeof old);
    old.size = sizeof old;
    old.max_iterations = 7;
    check(loki_collect(dir, strlen(dir), (const loki_options *)(const void *)&old, &snapshot) == LOKI_STATUS_OK,
          "collect with a shorter, older loki_options");
    check(loki_snapshot_value(snapshot, "loki_iteration_max", 18, NULL, 0, &v) == LOKI_STATUS_OK && v == 7,
          "the old struct's max_iterations is read");
    check(loki_snapshot_value(snapshot, "loki_iteration_current", 22, NULL, 0, &v) == LOKI_STATUS_OK && v == 12,
          "a known family reads as before");
    check(loki_snapshot_families(snapshot, &families) == LOKI_STATUS_OK && has_family(families, "loki_cost_usd"),
          "families holds the known families");
    check(has_family(families, "loki_test_answer") == present,
          present ? "families holds the family added since" : "families has no test family");
    check((loki_snapshot_value(snapshot, "loki_test_answer", 16, NULL, 0, &v) == LOKI_STATUS_OK) == present &&
              (!present || v == 42),
          present ? "the new family's value is found by name" : "the new family is not found");
    check(loki_render_snapshot(snapshot, LOKI_FORMAT_OPENMETRICS, &text) == LOKI_STATUS_OK &&
              (strstr(text.data, "\nloki_test_answer 42\n") != NULL) == present,
          present ? "the rendering has the new family" : "the rendering has no test family");
    loki_string_free(&text);
    loki_families_free(families);
    loki_snapshot_free(snapshot);
    return failures == 0 ? 0 : 1;
}
