//! End-to-end checks of every chart: well-formed SVG with the expected series,
//! decodable non-blank PNG of the right size, atomic writes, input errors.

use plot::{Curve, Figure, Labels, PlotError, Series};

fn labels() -> Labels {
    Labels::new("title <&>", "x label", "y label")
}

/// Parses the SVG and counts elements carrying `class`.
fn svg_count(fig: &Figure, class: &str) -> usize {
    let svg = fig.to_svg();
    let doc = roxmltree::Document::parse(&svg).expect("well-formed SVG");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    assert_eq!(
        root.attribute("width"),
        Some(fig.width().to_string().as_str())
    );
    // the title is escaped and survives the round trip
    assert!(doc
        .descendants()
        .any(|n| n.is_text() && n.text() == Some("title <&>")));
    doc.descendants()
        .filter(|n| n.attribute("class") == Some(class))
        .count()
}

/// Decodes the PNG: returns (width, height, RGBA pixels).
fn decode(fig: &Figure) -> (u32, u32, Vec<u8>) {
    let bytes = fig.to_png().expect("PNG available");
    let mut dec = png::Decoder::new(std::io::Cursor::new(bytes));
    dec.set_transformations(png::Transformations::EXPAND);
    let mut reader = dec.read_info().expect("PNG header");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).expect("PNG data");
    assert_eq!(info.color_type, png::ColorType::Rgba);
    buf.truncate(info.buffer_size());
    (info.width, info.height, buf)
}

/// Fraction of pixels that are not white, and the number of distinct colours.
fn ink(px: &[u8]) -> (f64, usize) {
    let mut colours = std::collections::HashSet::new();
    let mut non_white = 0usize;
    for p in px.chunks_exact(4) {
        colours.insert([p[0], p[1], p[2]]);
        if p[..3] != [255, 255, 255] {
            non_white += 1;
        }
    }
    (non_white as f64 / (px.len() / 4) as f64, colours.len())
}

fn check_png(fig: &Figure, min_ink: f64) {
    let (w, h, px) = decode(fig);
    assert_eq!((w, h), (fig.width(), fig.height()));
    assert_eq!((w, h), (plot::DEFAULT_WIDTH, plot::DEFAULT_HEIGHT));
    let (frac, colours) = ink(&px);
    assert!(frac > min_ink, "too little ink: {frac}");
    assert!(colours > 20, "only {colours} colours");
}

fn pam4(n: usize) -> Vec<i32> {
    let mut s = 0x1234_5678u32;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            [-90, -30, 30, 90][(s >> 30) as usize] + (s % 7) as i32 - 3
        })
        .collect()
}

#[test]
fn eye_svg_and_png() {
    let x = pam4(5000);
    for span in [1, 2] {
        let fig = plot::eye_diagram(&x, span, &[-60.0, 0.0, 60.0], &labels()).unwrap();
        assert_eq!(svg_count(&fig, "threshold"), 3);
        // dark plot area: lots of ink
        check_png(&fig, 0.4);
    }
    let f: Vec<f64> = x.iter().map(|&v| v as f64 / 100.0).collect();
    let fig = plot::eye_diagram(&f, 2, &[], &labels()).unwrap();
    assert_eq!(svg_count(&fig, "threshold"), 0);
    assert!(matches!(
        plot::eye_diagram(&x, 0, &[], &labels()),
        Err(PlotError::Invalid(_))
    ));
    assert!(matches!(
        plot::eye_diagram(&[1.0f64, f64::NAN], 1, &[], &labels()),
        Err(PlotError::Empty(_))
    ));
}

#[test]
fn bathtub_series_and_zero_ser() {
    let offs: Vec<f64> = (-10..=10).map(|i| i as f64).collect();
    let a: Vec<f64> = offs
        .iter()
        .map(|o| 10f64.powf(-8.0 + 0.6 * o.abs()))
        .collect();
    let mut b = a.clone();
    b[10] = 0.0; // no errors at the centre: the line breaks
    let fig = plot::bathtub(
        &offs,
        &[Curve { name: "a", y: &a }, Curve { name: "b", y: &b }],
        &labels(),
    )
    .unwrap();
    assert_eq!(svg_count(&fig, "series"), 2);
    check_png(&fig, 0.02);
    // all zero: still a figure, with a note
    let z = vec![0.0; offs.len()];
    let fig = plot::bathtub(&offs, &[Curve { name: "z", y: &z }], &labels()).unwrap();
    assert!(fig.to_svg().contains("no errors"));
    assert!(matches!(
        plot::bathtub(
            &offs,
            &[Curve {
                name: "short",
                y: &a[..3]
            }],
            &labels()
        ),
        Err(PlotError::LengthMismatch { a: 3, b: 21, .. })
    ));
    assert!(matches!(
        plot::bathtub(&[], &[], &labels()),
        Err(PlotError::Empty(_))
    ));
}

#[test]
fn histogram_bars_stems() {
    let fig = plot::histogram_with_prediction(
        &[9000, 900, 90, 9, 0],
        &[9000.0, 950.0, 50.0, 2.0, 0.05, 1e-3],
        &labels(),
    )
    .unwrap();
    assert_eq!(svg_count(&fig, "series"), 2);
    // 4 measured + 6 predicted bars inside the series groups
    let svg = fig.to_svg();
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let bars: usize = doc
        .descendants()
        .filter(|n| n.attribute("class") == Some("series"))
        .map(|g| g.children().filter(|c| c.has_tag_name("rect")).count())
        .sum();
    assert_eq!(bars, 10);
    check_png(&fig, 0.05);

    let mut bursts = vec![0u64; 33];
    bursts[1] = 500;
    bursts[2] = 40;
    bursts[32] = 1;
    let fig = plot::bars(&bursts, 1, &labels()).unwrap();
    assert_eq!(svg_count(&fig, "series"), 1);
    check_png(&fig, 0.02);
    assert!(plot::bars(&bursts, 33, &labels()).is_err());
    let fig = plot::bars(&[0, 0, 0], 1, &labels()).unwrap();
    assert!(fig.to_svg().contains("all counts are zero"));

    let fig = plot::equalizer_taps(&[-8, 36, -138, 511, 69], 3, &[33, -5], &labels()).unwrap();
    assert_eq!(svg_count(&fig, "series"), 2);
    check_png(&fig, 0.02);
    let fig = plot::equalizer_taps(&[0.1f64, 0.8], 1, &[], &labels()).unwrap();
    assert_eq!(svg_count(&fig, "series"), 1);
    assert!(matches!(
        plot::stems(
            &[Series {
                name: "s",
                x: &[1.0],
                y: &[]
            }],
            &labels()
        ),
        Err(PlotError::LengthMismatch { .. })
    ));
}

#[test]
fn png_pixels_where_expected() {
    // one huge bar: the centre of the plot area is the series colour
    let fig = plot::bars(&[0, 1000], 1, &Labels::default()).unwrap();
    let (w, _, px) = decode(&fig);
    let (x, y) = (w as usize / 2, 400usize);
    let p = &px[(y * w as usize + x) * 4..][..4];
    assert!(p[2] > p[0] + 60, "expected blue, got {p:?}");
    // and the top-left corner is the white background
    assert_eq!(&px[..4], &[255, 255, 255, 255]);
}

#[test]
fn atomic_writes() {
    let dir = std::env::temp_dir().join(format!("rxdsp-plot-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let fig = plot::bars(&[0, 5, 3], 1, &labels()).unwrap();
    let svg = dir.join("b.svg");
    let png = dir.join("b.png");
    fig.write_svg(&svg).unwrap();
    fig.write_png(&png).unwrap();
    assert!(std::fs::read_to_string(&svg).unwrap().ends_with("</svg>\n"));
    assert_eq!(&std::fs::read(&png).unwrap()[..4], b"\x89PNG");
    let left: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".partial"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
    // a missing directory: a typed error naming the file, nothing written
    let bad = dir.join("missing").join("x.png");
    match fig.write_png(&bad) {
        Err(PlotError::Io { path, .. }) => assert_eq!(path, bad),
        other => panic!("{other:?}"),
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn line_charts() {
    let x: Vec<f64> = (0..50).map(|i| i as f64 * 0.1).collect();
    let a: Vec<f64> = x.iter().map(|v| (-v).exp()).collect();
    let b: Vec<f64> = x.iter().map(|v| if *v < 2.0 { 0.5 } else { 0.0 }).collect();
    let fig = plot::lines(
        &[
            Series {
                name: "a",
                x: &x,
                y: &a,
            },
            Series {
                name: "b",
                x: &x,
                y: &b,
            },
        ],
        plot::LineOpts {
            log_y: true,
            markers: true,
        },
        &labels(),
    )
    .unwrap();
    assert_eq!(svg_count(&fig, "series"), 2);
    check_png(&fig, 0.02);
    let fig = plot::lines(
        &[Series {
            name: "a",
            x: &x,
            y: &a,
        }],
        plot::LineOpts::default(),
        &labels(),
    )
    .unwrap();
    assert_eq!(svg_count(&fig, "series"), 1);
    assert!(plot::lines(&[], plot::LineOpts::default(), &labels()).is_err());
}
