/* Parses a scrape (Prometheus 0.0.4 or OpenMetrics text) and lists its
 * families and samples.
 *
 *   parse_scrape [--format auto|prometheus|openmetrics] FILE   (FILE "-" is stdin)
 *
 * Exits 1 with FILE:line:column: message when the text is invalid.
 * Build: cc parse_scrape.c $(pkg-config --cflags --libs loki-metrics) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <loki_metrics.h>

static const char *const TYPE_NAMES[] = {"counter", "gauge",    "histogram", "gaugehistogram",
                                         "summary", "stateset", "info",      "unknown"};

/* The whole stream, or NULL; *len excludes the NUL added at the end. */
static char *slurp(FILE *f, size_t *len) {
    size_t cap = 1 << 16, n = 0, got;
    char *buf = (char *)malloc(cap);
    while (buf && (got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (cap - n - 1 == 0) {
            char *grown = (char *)realloc(buf, cap * 2);
            if (!grown) free(buf);
            buf = grown;
            cap *= 2;
        }
    }
    if (buf) buf[n] = '\0';
    *len = n;
    return buf;
}

int main(int argc, char **argv) {
    const char *path = NULL;
    uint32_t format = LOKI_PARSE_FORMAT_AUTO;
    loki_families *families = NULL;
    loki_status status;
    size_t len = 0, f, s, l;
    char *text;
    FILE *in;
    int arg;

    for (arg = 1; arg < argc; arg++) {
        if (strcmp(argv[arg], "--format") == 0 && arg + 1 < argc) {
            arg++;
            if (strcmp(argv[arg], "auto") == 0) format = LOKI_PARSE_FORMAT_AUTO;
            else if (strcmp(argv[arg], "prometheus") == 0) format = LOKI_PARSE_FORMAT_PROMETHEUS;
            else if (strcmp(argv[arg], "openmetrics") == 0) format = LOKI_PARSE_FORMAT_OPENMETRICS;
            else {
                path = NULL;
                break;
            }
        } else {
            path = argv[arg];
        }
    }
    if (!path) {
        fprintf(stderr, "usage: %s [--format auto|prometheus|openmetrics] FILE\n", argv[0]);
        return 2;
    }
    in = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!in) {
        perror(path);
        return 1;
    }
    text = slurp(in, &len);
    if (in != stdin) fclose(in);
    if (!text) {
        fprintf(stderr, "%s: cannot read\n", path);
        return 1;
    }

    status = loki_parse(text, len, format, &families);
    free(text); /* the families keep their own copy */
    if (status != LOKI_STATUS_OK) {
        fprintf(stderr, "%s:%s\n", path, loki_last_error_message());
        return 1;
    }
    printf("%zu families\n", loki_families_count(families));
    for (f = 0; f < loki_families_count(families); f++) {
        loki_family family;
        loki_families_family(families, f, &family);
        printf("%.*s (%s)", (int)family.name.len, family.name.data, TYPE_NAMES[family.metric_type]);
        if (family.unit.data) printf(" [%.*s]", (int)family.unit.len, family.unit.data);
        if (family.help.data) printf(": %.*s", (int)family.help.len, family.help.data);
        printf("\n");
        for (s = 0; s < family.sample_count; s++) {
            loki_sample sample;
            loki_families_sample(families, f, s, &sample);
            printf("  %.*s", (int)sample.name.len, sample.name.data);
            for (l = 0; l < sample.label_count; l++) {
                loki_str name, value;
                loki_families_label(families, f, s, l, &name, &value);
                printf("%s%.*s=\"%.*s\"", l == 0 ? "{" : ",", (int)name.len, name.data, (int)value.len, value.data);
            }
            printf("%s %.17g", sample.label_count ? "}" : "", sample.value);
            if (sample.has_timestamp) printf(" @%.17g", sample.timestamp);
            printf("\n");
        }
    }
    loki_families_free(families);
    return 0;
}
