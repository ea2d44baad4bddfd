/* A minimal test harness: each test is a function, run by RUN(); a failed
 * CHECK marks the current test failed and goes on. main() ends with
 * harness_report(), which prints "N passed, M failed". */
#ifndef LOKI_TEST_HARNESS_H
#define LOKI_TEST_HARNESS_H

#include <stdio.h>
#include <string.h>

#include "loki_metrics.h"

/* The default families every collection emits (SPEC §3: Loki Mode 5.38's
 * nine, 9.20's three Evidence Receipt families, and seven of ours). */
#define LOKI_DEFAULT_FAMILIES 19

static int harness_passed;
static int harness_failed;
static int harness_current_failed;
static const char *harness_current;

#define CHECK(cond)                                                                              \
    do {                                                                                         \
        if (!(cond)) {                                                                           \
            fprintf(stderr, "  %s:%d: in %s: CHECK(%s) failed\n", __FILE__, __LINE__,          \
                    harness_current, #cond);                                                     \
            harness_current_failed = 1;                                                          \
        }                                                                                        \
    } while (0)

/* Checks a call's status, printing the actual status and the last error. */
#define CHECK_STATUS(call, expected)                                                             \
    do {                                                                                         \
        loki_status check_status_actual_ = (call);                                               \
        if (check_status_actual_ != (expected)) {                                                \
            fprintf(stderr, "  %s:%d: in %s: %s returned %d, expected %s (%d); last error: %s\n", \
                    __FILE__, __LINE__, harness_current, #call, (int)check_status_actual_,       \
                    #expected, (int)(expected), loki_last_error_message());                      \
            harness_current_failed = 1;                                                          \
        }                                                                                        \
    } while (0)

#define RUN(test)                                                                                \
    do {                                                                                         \
        harness_current = #test;                                                                 \
        harness_current_failed = 0;                                                              \
        test();                                                                                  \
        if (harness_current_failed) {                                                            \
            harness_failed++;                                                                    \
            printf("FAIL %s\n", #test);                                                          \
        } else {                                                                                 \
            harness_passed++;                                                                    \
            printf("ok   %s\n", #test);                                                          \
        }                                                                                        \
        fflush(stdout);                                                                          \
    } while (0)

static int harness_report(void) {
    printf("%d passed, %d failed\n", harness_passed, harness_failed);
    return harness_failed == 0 ? 0 : 1;
}

#endif
