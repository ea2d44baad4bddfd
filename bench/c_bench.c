/* The C side of the C ABI benchmark: the same work as bench/c_bench.rs, through
 * libloki_metrics. Usage: c_bench DATA RUNS (DATA from `c_bench_core generate`).
 * Prints collect_render_us= (loki_collect + loki_render_snapshot + frees, per
 * call), render_dir_us= (loki_render from the directory + free) and
 * parse_mb_s= (loki_parse + loki_families_free of the 25 MB text, fastest of 11)
 * and parse_borrowed_mb_s= (the same with loki_parse_borrowed). */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <loki_metrics.h>

static double now_seconds(void) {
    struct timespec ts;
    /* Process CPU time, as c_bench.rs: the machine is shared. */
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int by_value(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *times, int n) {
    qsort(times, (size_t)n, sizeof *times, by_value);
    return times[n / 2];
}

static void die(const char *what) {
    fprintf(stderr, "c_bench: %s: %s\n", what, loki_last_error_message());
    exit(1);
}

int main(int argc, char **argv) {
    char dir[4096], path[4096];
    int runs, parse_runs, i;
    double *times;
    size_t sink = 0, len = 0, cap;
    char *text;
    FILE *f;

    if (argc != 3) {
        fprintf(stderr, "usage: %s DATA RUNS\n", argv[0]);
        return 2;
    }
    runs = atoi(argv[2]);
    if (runs < 1) runs = 1;
    times = (double *)malloc(sizeof *times * (size_t)(runs < 11 ? 11 : runs));
    snprintf(dir, sizeof dir, "%s/S/.loki", argv[1]);

    for (i = 0; i < runs; i++) {
        loki_snapshot *snapshot = NULL;
        loki_string out;
        double t = now_seconds();
        if (loki_collect(dir, strlen(dir), NULL, &snapshot) != LOKI_STATUS_OK) die("collect");
        if (loki_render_snapshot(snapshot, LOKI_FORMAT_PROMETHEUS, &out) != LOKI_STATUS_OK) die("render");
        sink += out.len;
        loki_string_free(&out);
        loki_snapshot_free(snapshot);
        times[i] = now_seconds() - t;
    }
    printf("collect_render_us=%.2f\n", median(times, runs) * 1e6);

    for (i = 0; i < runs; i++) {
        loki_string out;
        double t = now_seconds();
        if (loki_render(dir, strlen(dir), NULL, LOKI_FORMAT_PROMETHEUS, &out) != LOKI_STATUS_OK) die("render");
        sink += out.len;
        loki_string_free(&out);
        times[i] = now_seconds() - t;
    }
    printf("render_dir_us=%.2f\n", median(times, runs) * 1e6);

    snprintf(path, sizeof path, "%s/parse.prom", argv[1]);
    f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return 1;
    }
    fseek(f, 0, SEEK_END);
    cap = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    text = (char *)malloc(cap);
    len = fread(text, 1, cap, f);
    fclose(f);
    parse_runs = 11;
    for (i = 0; i < parse_runs; i++) {
        loki_families *families = NULL;
        double t = now_seconds();
        if (loki_parse(text, len, LOKI_PARSE_FORMAT_AUTO, &families) != LOKI_STATUS_OK) die("parse");
        sink += loki_families_count(families);
        loki_families_free(families);
        times[i] = now_seconds() - t;
    }
    /* The fastest run counts, as in c_bench.rs: interference only slows runs down. */
    qsort(times, (size_t)parse_runs, sizeof *times, by_value);
    printf("parse_mb_s=%.1f\n", (double)len / times[0] / 1e6);
    for (i = 0; i < parse_runs; i++) {
        loki_families *families = NULL;
        double t = now_seconds();
        if (loki_parse_borrowed(text, len, LOKI_PARSE_FORMAT_AUTO, &families) != LOKI_STATUS_OK) die("parse");
        sink += loki_families_count(families);
        loki_families_free(families);
        times[i] = now_seconds() - t;
    }
    qsort(times, (size_t)parse_runs, sizeof *times, by_value);
    printf("parse_borrowed_mb_s=%.1f\n", (double)len / times[0] / 1e6);
    printf("sink=%zu\n", sink);
    free(text);
    free(times);
    return 0;
}
