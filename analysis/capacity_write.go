package analysis

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// WriteCapacityPlan writes plan as text: a warning first when its results
// cannot show scaling, then per group the measured points, every model
// tried, and the answer with its interval and provenance.
func WriteCapacityPlan(w io.Writer, plan *CapacityPlan) error {
	var b strings.Builder
	q := plan.Question
	if plan.SharedCores {
		b.WriteString("WARNING: some results ran brokers and clients on the same host's cores; they CANNOT show how capacity scales with brokers (see each group).\n\n")
	}
	fmt.Fprintf(&b, "Brokers to carry %g MB/s with publish p99 within %g ms, one broker down\n", q.TargetMBps, q.P99Ms)
	for _, g := range plan.Groups {
		title := g.Hardware + ", tuning " + g.Tuning
		if g.Variant != "" {
			title += ", " + g.Variant
		}
		fmt.Fprintf(&b, "\n== %s\n", title)
		if g.SharedCores != "" {
			fmt.Fprintf(&b, "WARNING: %s\n", g.SharedCores)
		}
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "brokers\tcapacity MB/s\thow\twithin bound\tpast bound\truns")
		for _, p := range g.Points {
			past := "-"
			if p.Past != nil {
				past = fmt.Sprintf("%.1f MB/s p99 %.1f ms", p.Past.MBps, p.Past.P99Ms)
			}
			fmt.Fprintf(tw, "%d\t%.1f\t%s\t%.1f MB/s p99 %.1f ms\t%s\t%d\n", p.Brokers, p.MBps, p.How, p.Within.MBps, p.Within.P99Ms, past, len(p.Runs))
		}
		tw.Flush()
		tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "model\tλ MB/s [95%]\tσ [95%]\tκ [95%]\tRMSE MB/s\tR²\tdof\tp")
		for _, f := range g.Scaling.Fits {
			mark := " "
			if f == g.Scaling.Chosen {
				mark = "*"
			}
			if f.Refused != "" {
				fmt.Fprintf(tw, " %s\trefused: %s\n", f.Model, f.Refused)
				continue
			}
			r2 := "-"
			if f.R2 != nil {
				r2 = fmt.Sprintf("%.4f", *f.R2)
			}
			fmt.Fprintf(tw, "%s%s\t%s\t%s\t%s\t%.2f\t%s\t%d\t%.3g\n", mark, f.Model, interval(f.Lambda, "%.2f"), interval(f.Sigma, "%.4f"), interval(f.Kappa, "%.5f"), f.RMSE, r2, f.DoF, f.PValue)
		}
		tw.Flush()
		a := g.Answer
		switch {
		case a.Refused != "":
			fmt.Fprintf(&b, "answer: none: %s\n", a.Refused)
		default:
			hi := "unbounded"
			if a.BrokersHigh != nil {
				hi = fmt.Sprint(*a.BrokersHigh)
			}
			fmt.Fprintf(&b, "answer: %d brokers (95%% interval %d to %s; %d with none down), %s model: %s MB/s with all up, %s MB/s with one down; from %d broker counts measured, up to %d\n",
				a.Brokers, a.BrokersLow, hi, a.AllUp, g.Model, interval(a.Capacity, "%.1f"), interval(a.OneDown, "%.1f"), len(g.Points), a.LargestMeasured)
			if a.Extrapolated > 0 {
				fmt.Fprintf(&b, "EXTRAPOLATED: %.1f times the largest broker count measured (%d)\n", a.Extrapolated, a.LargestMeasured)
			}
		}
		for _, n := range g.Notes {
			fmt.Fprintf(&b, "note: %s\n", n)
		}
	}
	for _, n := range plan.Notes {
		fmt.Fprintf(&b, "note: %s\n", n)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// interval formats e as "value [low, high]".
func interval(e Estimate, verb string) string {
	return fmt.Sprintf(verb+" ["+verb+", "+verb+"]", e.Value, e.Low, e.High)
}

// WriteCapacityJSON writes plan as indented JSON.
func WriteCapacityJSON(w io.Writer, plan *CapacityPlan) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(plan)
}
