//! `chart` through the real binary: valid, non-blank PNG and SVG for every
//! kind of metric, dashboards and the fever chart.

use crate::common;

use common::TestDb;

fn setup() -> TestDb {
    let db = TestDb::new();
    for args in [
        &["project", "add", "p", "--name", "Power", "--priority", "1"][..],
        &["project", "add", "q", "--name", "Q", "--depends-on", "p"],
        &["engineer", "add", "wang", "--name", "王小明"],
        &["engineer", "add", "jose", "--name", "José Müller"],
        &["metric", "add", "p/conv", "--target", "10", "--direction", "down", "--unit", "ms", "--name", "Latency"],
        &["metric", "add", "p/done", "--target", "100", "--direction", "up", "--tolerance", "2"],
        &["metric", "add", "p/away", "--target", "0", "--direction", "down"],
        &["metric", "add", "q/new", "--target", "1", "--direction", "up"],
    ] {
        db.run(args).ok();
    }
    let mut csv = String::from("date,project,metric,engineer,value,note\n");
    let start = chrono::NaiveDate::from_ymd_opt(2026, 8, 2).unwrap();
    for w in 0..18u64 {
        let d = start + chrono::Days::new(7 * w);
        let who = if w % 2 == 0 { "wang" } else { "jose" };
        csv += &format!("{d},p,conv,{who},{},n\n", 100.0 - 4.0 * w as f64 + (w % 3) as f64);
        csv += &format!("{d},p,done,{who},{},n\n", (60.0 + 5.0 * w as f64).min(101.0));
        csv += &format!("{d},p,away,{who},{},n\n", 10.0 + 2.0 * w as f64);
    }
    csv += "2026-11-27,q,new,wang,0.3,first\n";
    std::fs::write(db.file("in.csv"), csv).unwrap();
    db.run(&["import", "in.csv"]).ok();
    db
}

/// Width and height from a PNG's IHDR, after checking the signature.
fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
    assert_eq!(&bytes[12..16], b"IHDR");
    let w = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
    let h = u32::from_be_bytes(bytes[20..24].try_into().unwrap());
    (w, h)
}

fn distinct_colours(bytes: &[u8]) -> usize {
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    let px = info.color_type.samples();
    let mut seen = std::collections::HashSet::new();
    for c in buf[..info.buffer_size()].chunks(px) {
        seen.insert(c.to_vec());
    }
    seen.len()
}

#[test]
fn metric_charts_render_for_every_status_in_both_formats() {
    let db = setup();
    for m in ["p/conv", "p/done", "p/away", "q/new"] {
        let png = format!("{}.png", m.replace('/', "-"));
        db.run(&["chart", m, "--out", &png]).ok();
        let bytes = std::fs::read(db.file(&png)).unwrap();
        assert_eq!(png_size(&bytes), (1000, 600), "{m}");
        assert!(distinct_colours(&bytes) > 50, "{m} looks blank");
        assert_eq!(common::mode(&db.file(&png)), 0o600);
        let svg = format!("{}.svg", m.replace('/', "-"));
        db.run(&["chart", m, "--out", &svg]).ok();
        let text = std::fs::read_to_string(db.file(&svg)).unwrap();
        roxmltree::Document::parse(&text).unwrap_or_else(|e| panic!("{m}: SVG does not parse: {e}"));
        assert!(text.contains(m), "{m}: title missing");
        if m != "q/new" {
            assert!(text.contains("王小明") && text.contains("José Müller"), "{m}: engineer names missing");
        }
    }
    let svg = std::fs::read_to_string(db.file("p-conv.svg")).unwrap();
    assert!(svg.contains("Latency") && svg.contains("ms"), "metric name and unit");
}

#[test]
fn dashboard_and_fever_render() {
    let db = setup();
    for (args, file) in
        [(&["chart", "p", "--out", "p.png"][..], "p.png"), (&["chart", "--fever", "--out", "f.png"], "f.png")]
    {
        db.run(args).ok();
        let bytes = std::fs::read(db.file(file)).unwrap();
        png_size(&bytes);
        assert!(distinct_colours(&bytes) > 50, "{file} looks blank");
    }
    db.run(&["chart", "--fever", "--out", "f.svg"]).ok();
    let svg = std::fs::read_to_string(db.file("f.svg")).unwrap();
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let labels: Vec<&str> = doc.descendants().filter(|n| n.is_text()).filter_map(|n| n.text()).map(str::trim).collect();
    // Marked `*` (no deadline), and sharing a label when at one spot.
    let named = |n: &str| labels.iter().any(|l| l.split([',', ' ', '*']).any(|w| w == n));
    assert!(named("p") && named("q"), "project labels present: {labels:?}");
}

#[test]
fn chart_errors() {
    let db = setup();
    db.refused(&["chart", "p/conv", "--out", "x.jpg"], "must end in .png or .svg");
    db.refused(&["chart", "p/cnv", "--out", "x.png"], "metric 'p/cnv' does not exist");
    db.refused(&["chart", "p/conv", "--out", "nowhere/x.png"], "does not exist");
    std::fs::create_dir(db.file("d.png")).unwrap();
    db.refused(&["chart", "p/conv", "--out", "d.png"], "is a directory");
    assert_eq!(db.run(&["chart", "--out", "x.png"]).code, 2, "a scope or --fever is required");
}

/// The release build must not link system font libraries. Checked on the
/// test binary's sibling `limfac` executable with ldd where available.
#[test]
fn binary_does_not_link_font_libraries() {
    let bin = assert_cmd::cargo::cargo_bin!("limfac");
    let out = std::process::Command::new("ldd").arg(bin).output();
    let Ok(out) = out else {
        panic!("ldd is needed for this check and is missing");
    };
    let libs = String::from_utf8_lossy(&out.stdout);
    assert!(libs.contains("libc"), "ldd output looks wrong: {libs}");
    for bad in ["fontconfig", "freetype"] {
        assert!(!libs.contains(bad), "limfac links {bad}:\n{libs}");
    }
}
