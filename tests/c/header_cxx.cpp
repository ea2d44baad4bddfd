// The header compiled as C++ (g++ -Wall -Wextra -Werror): the extern "C"
// guards, the enums and structs as C++ sees them, and a link against the
// library. Usage: header_cxx FIXTURES_DIR; prints "N passed, M failed".
#include <cstdio>
#include <cstring>
#include <string>

#include "loki_metrics.h"

namespace {

int passed = 0;
int failed = 0;

void check(bool ok, const char *what) {
    std::printf("%s %s\n", ok ? "ok  " : "FAIL", what);
    (ok ? passed : failed)++;
}

// RAII over loki_string, as a C++ host would write it.
struct OwnedText {
    loki_string text{nullptr, 0};
    ~OwnedText() { loki_string_free(&text); }
    std::string str() const { return std::string(text.data, text.len); }
};

}  // namespace

int main(int argc, char **argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s FIXTURES_DIR\n", argv[0]);
        return 2;
    }
    const std::string dir = std::string(argv[1]) + "/running/.loki";
    loki_options options = LOKI_OPTIONS_INIT;
    options.flags = LOKI_OPTION_NOW;
    const char now[] = "2026-01-05T12:00:00Z";
    check(loki_parse_rfc3339(now, sizeof now - 1, &options.now_seconds, &options.now_nanoseconds) == LOKI_STATUS_OK,
          "cxx_parses_a_timestamp");

    OwnedText om;
    check(loki_render(dir.data(), dir.size(), &options, LOKI_FORMAT_OPENMETRICS, &om.text) == LOKI_STATUS_OK &&
              om.str().find("loki_uptime_seconds 7200\n") != std::string::npos,
          "cxx_renders_a_directory");

    loki_collector *collector = nullptr;
    loki_snapshot *snapshot = nullptr;
    double iteration = 0;
    const char name[] = "loki_iteration_current";
    check(loki_collector_new(dir.data(), dir.size(), nullptr, 2.0, &collector) == LOKI_STATUS_OK &&
              loki_collector_collect(collector, &snapshot) == LOKI_STATUS_OK &&
              loki_snapshot_value(snapshot, name, sizeof name - 1, nullptr, 0, &iteration) == LOKI_STATUS_OK &&
              iteration == 12,
          "cxx_collects_through_a_collector");
    loki_snapshot_free(snapshot);
    loki_collector_free(collector);

    OwnedText bad;
    check(loki_render(dir.data(), dir.size(), nullptr, 9, &bad.text) == LOKI_STATUS_UNKNOWN_FORMAT &&
              std::strlen(loki_last_error_message()) > 0,
          "cxx_sees_status_codes");

    std::printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
