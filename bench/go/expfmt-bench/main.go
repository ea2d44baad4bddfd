// Command expfmt-bench times Prometheus' own text parser
// (expfmt.TextParser.TextToMetricFamilies, Prometheus 0.0.4 text) on a file
// and prints one JSON line with the median MB/s over the runs.
//
// It builds offline in GOPATH mode against Debian's packaged sources
// (golang-github-prometheus-common-dev); bench/parse_table.sh does that.
//
//	expfmt-bench [-runs N] [-samples N] FILE
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime"
	"sort"
	"time"

	"github.com/prometheus/common/expfmt"
)

func main() {
	runs := flag.Int("runs", 7, "timed runs (the median is reported)")
	want := flag.Int("samples", -1, "fail unless the text has this many samples (-1: no check)")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: expfmt-bench [-runs N] [-samples N] FILE")
		os.Exit(2)
	}
	text, err := os.ReadFile(flag.Arg(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	parse := func() int {
		var p expfmt.TextParser
		families, err := p.TextToMetricFamilies(bytes.NewReader(text))
		if err != nil {
			fmt.Fprintln(os.Stderr, "expfmt:", err)
			os.Exit(1)
		}
		n := 0
		for _, f := range families {
			n += len(f.GetMetric())
		}
		return n
	}
	samples := parse() // warm-up, and the check
	if *want >= 0 && samples != *want {
		fmt.Fprintf(os.Stderr, "expfmt read %d samples, expected %d\n", samples, *want)
		os.Exit(1)
	}
	times := make([]time.Duration, 0, *runs)
	for i := 0; i < *runs || i == 0; i++ {
		runtime.GC() // the previous run's garbage is not this run's cost
		start := time.Now()
		parse()
		times = append(times, time.Since(start))
	}
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	median := times[len(times)/2]
	out, _ := json.Marshal(map[string]interface{}{
		"expfmt_bytes":     len(text),
		"expfmt_samples":   samples,
		"expfmt_runs":      len(times),
		"expfmt_median_ms": float64(median.Microseconds()) / 1e3,
		"expfmt_mb_s":      float64(len(text)) / 1e6 / median.Seconds(),
		"go_version":       runtime.Version(),
	})
	fmt.Println(string(out))
}
