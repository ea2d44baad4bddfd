/* Prints the metrics of a Loki Mode .loki directory, like `loki-metrics render`.
 *
 *   print_metrics [--format prometheus|openmetrics|json] [--now RFC3339] [DIR]
 *
 * DIR defaults to $LOKI_DIR, else ./.loki. Warnings go to stderr.
 * Build: cc print_metrics.c $(pkg-config --cflags --libs loki-metrics) */
#include <stdio.h>
#include <string.h>

#include <loki_metrics.h>

static int fail(const char *what, loki_status status) {
    fprintf(stderr, "print_metrics: %s: %s (status %d)\n", what, loki_last_error_message(), (int)status);
    return 1;
}

int main(int argc, char **argv) {
    const char *dir = NULL;
    uint32_t format = LOKI_FORMAT_PROMETHEUS;
    loki_options options = LOKI_OPTIONS_INIT;
    loki_snapshot *snapshot = NULL;
    loki_string text;
    loki_status status;
    size_t i;
    int arg;

    for (arg = 1; arg < argc; arg++) {
        if (strcmp(argv[arg], "--format") == 0 && arg + 1 < argc) {
            arg++;
            status = loki_format_from_name(argv[arg], strlen(argv[arg]), &format);
            if (status != LOKI_STATUS_OK) return fail("--format", status);
        } else if (strcmp(argv[arg], "--now") == 0 && arg + 1 < argc) {
            arg++;
            status = loki_parse_rfc3339(argv[arg], strlen(argv[arg]), &options.now_seconds, &options.now_nanoseconds);
            if (status != LOKI_STATUS_OK) return fail("--now", status);
            options.flags |= LOKI_OPTION_NOW;
        } else if (argv[arg][0] == '-') {
            fprintf(stderr, "usage: %s [--format prometheus|openmetrics|json] [--now RFC3339] [DIR]\n", argv[0]);
            return 2;
        } else {
            dir = argv[arg];
        }
    }

    status = loki_collect(dir, dir ? strlen(dir) : 0, &options, &snapshot);
    if (status != LOKI_STATUS_OK) return fail("collect", status);
    for (i = 0; i < loki_snapshot_warning_count(snapshot); i++) {
        loki_str source, message;
        if (loki_snapshot_warning(snapshot, i, &source, &message) == LOKI_STATUS_OK)
            fprintf(stderr, "warning: %s: %s\n", source.data, message.data);
    }
    status = loki_render_snapshot(snapshot, format, &text);
    loki_snapshot_free(snapshot);
    if (status != LOKI_STATUS_OK) return fail("render", status);
    fwrite(text.data, 1, text.len, stdout);
    loki_string_free(&text);
    return 0;
}
