#!/usr/bin/env python3
"""Convert the software-failure data sets shipped in the PyPI wheel pysrat 0.2.7
into limfac-friendly weekly CSVs.  Python standard library only.

Usage: convert_real_data.py WHEEL OUT_DIR

Reads the data files straight out of the wheel (a zip archive), copies them
byte for byte into OUT_DIR/<dataset>/raw/, copies the package's MIT LICENSE next
to them, and writes OUT_DIR/<dataset>/data.csv and series_stats.csv.

Conversion (same for every data set):
  * one source interval (Musa: one working day; Tomcat5: one calendar month;
    printer: one test day) = one row = one week;
  * row i (1-based) has week_start = START + 7*(i-1) days, START = 2000-01-03 (a Monday);
  * remaining = (total faults found in the whole series) - (cumulative faults found
    up to and including interval i), i.e. the state at the end of that interval;
  * target = 0;
  * true_done_date = week_start of the first row whose remaining is 0 (the interval
    in which the last fault was found);
  * every series is kept whole, including intervals after the last fault
    (remaining 0) and leading intervals with no fault.
"""
import csv
import datetime
import io
import os
import statistics
import sys
import zipfile

START = datetime.date(2000, 1, 3)  # a Monday
PKG_ROOT = "pysrat/datasets/"
LICENSE_MEMBER = "pysrat-0.2.7.dist-info/licenses/LICENSE"

# Musa/DACS systems, in the order of Musa's tables.
MUSA = ["sys1", "sys2", "sys3", "sys4", "sys5", "sys6", "sys14c", "sys17",
        "sys27", "sys40", "ss1a", "ss1b", "ss1c", "ss2", "ss3", "ss4"]
TOMCAT = ["catalina", "connector", "jasper", "servlets", "tester", "webapps"]
PRINTER = ["dmetrics1", "dmetrics2", "dmetrics3"]


def rows_of(zf, member):
    text = zf.read(member).decode("utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def weekly(series_id, counts):
    """counts: faults found per interval, in order. Returns (rows, stats)."""
    total = sum(counts)
    assert total > 0, series_id
    remaining, cum = [], 0
    for c in counts:
        assert c >= 0, series_id
        cum += c
        remaining.append(total - cum)
    done_idx = remaining.index(0)
    done = START + datetime.timedelta(days=7 * done_idx)
    rows = []
    for i, rem in enumerate(remaining):
        wk = START + datetime.timedelta(days=7 * i)
        rows.append([series_id, wk.isoformat(), str(rem), "0", done.isoformat()])
    first_fault = next(i for i, c in enumerate(counts) if c > 0)
    stats = {
        "series_id": series_id,
        "weeks": len(counts),
        "total_faults": total,
        "first_fault_week": first_fault + 1,
        "done_week": done_idx + 1,
        "true_done_date": done.isoformat(),
        "weeks_at_zero_after_done": len(counts) - done_idx - 1,
        "max_faults_in_one_week": max(counts),
    }
    return rows, stats


def write_csv(path, header, rows):
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def emit(zf, out, name, members, series):
    """members: list of wheel members to copy raw; series: list of (id, counts)."""
    d = os.path.join(out, name)
    os.makedirs(os.path.join(d, "raw"), exist_ok=True)
    for m in members:
        with open(os.path.join(d, "raw", os.path.basename(m)), "wb") as f:
            f.write(zf.read(m))
    with open(os.path.join(d, "LICENSE"), "wb") as f:
        f.write(zf.read(LICENSE_MEMBER))
    all_rows, all_stats = [], []
    for sid, counts in series:
        rows, st = weekly(sid, counts)
        all_rows += rows
        all_stats.append(st)
    write_csv(os.path.join(d, "data.csv"),
              ["series_id", "week_start", "remaining", "target", "true_done_date"], all_rows)
    keys = list(all_stats[0].keys())
    write_csv(os.path.join(d, "series_stats.csv"), keys,
              [[str(s[k]) for k in keys] for s in all_stats])
    lens = [s["weeks"] for s in all_stats]
    print(f"{name}: {len(series)} series, {len(all_rows)} rows, median length "
          f"{statistics.median(lens)}, min {min(lens)}, max {max(lens)}, "
          f"reach zero {sum(1 for s in all_stats if s['done_week'] <= s['weeks'])}/{len(series)}, "
          f"zero only in last week {sum(1 for s in all_stats if s['weeks_at_zero_after_done'] == 0)}")


def main():
    wheel, out = sys.argv[1], sys.argv[2]
    zf = zipfile.ZipFile(wheel)

    # 1. Musa / DACS: grouped data (faults per working day) *g.csv; the
    #    time-between-failure files are copied raw and used as a cross-check.
    members, series = [], []
    for s in MUSA:
        g = PKG_ROOT + f"musa/{s}g.csv"
        t = PKG_ROOT + f"musa/{s}.csv"
        members += [t, g]
        grows = rows_of(zf, g)
        assert all(r["time"] == "1" for r in grows), s  # one row = one working day
        counts = [int(r["fault"]) for r in grows]
        trows = rows_of(zf, t)
        n_time = sum(int(r["indicator"]) + int(r["fault"]) for r in trows)
        assert n_time == sum(counts), (s, n_time, sum(counts))
        series.append((f"srm:musa:{s}", counts))
    emit(zf, out, "musa-dacs", members, series)

    # 2. Apache Tomcat 5 modules: bugs per calendar month.
    members, series = [PKG_ROOT + "smetrics/tomcat5_smetrics.csv"], []
    for s in TOMCAT:
        m = PKG_ROOT + f"smetrics/tomcat5_{s}.csv"
        members.append(m)
        rows = rows_of(zf, m)
        assert [int(r[""]) for r in rows] == list(range(1, len(rows) + 1)), s
        series.append((f"srm:tomcat5:{s}", [int(r["fault"]) for r in rows]))
    emit(zf, out, "tomcat5-bugs", members, series)

    # 3. Printer control software (d-metrics): faults per test day.
    members, series = [], []
    for i, s in enumerate(PRINTER, 1):
        m = PKG_ROOT + f"dmetrics/{s}.csv"
        members.append(m)
        rows = rows_of(zf, m)
        assert [int(r["day"]) for r in rows] == list(range(1, len(rows) + 1)), s
        series.append((f"srm:printer:ds{i}", [int(r["fault"]) for r in rows]))
    emit(zf, out, "printer-test-faults", members, series)


if __name__ == "__main__":
    main()
