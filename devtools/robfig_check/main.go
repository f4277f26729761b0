package main

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// Input lines: "N\tzone\texpr\tunix\tcount" -> fire times; "P\thex(expr)" -> ok / err, as the
// API server decides (pkg/apis/batch/validation: ParseStandard, then no "TZ" anywhere).
func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<20)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	for in.Scan() {
		f := strings.Split(in.Text(), "\t")
		if f[0] == "P" {
			raw, _ := hex.DecodeString(f[1])
			spec := string(raw)
			if _, err := cron.ParseStandard(spec); err != nil || strings.Contains(spec, "TZ") {
				fmt.Fprintln(out, "err")
			} else {
				fmt.Fprintln(out, "ok")
			}
			continue
		}
		s, err := cron.ParseStandard("TZ=" + f[1] + " " + f[2])
		if err != nil {
			fmt.Fprintln(out, "err", err)
			continue
		}
		u, _ := strconv.ParseInt(f[3], 10, 64)
		n, _ := strconv.Atoi(f[4])
		t := time.Unix(u, 0).UTC()
		var parts []string
		for i := 0; i < n; i++ {
			t = s.Next(t)
			if t.IsZero() {
				break
			}
			parts = append(parts, strconv.FormatInt(t.Unix(), 10))
		}
		fmt.Fprintln(out, strings.Join(parts, " "))
	}
}
