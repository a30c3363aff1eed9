//! SVG backend: one element per primitive.

use crate::{Anchor, Figure, Prim, TextSize};
use std::fmt::Write;

/// Font family for SVG text: the font the PNG backend draws first, then
/// common monospace fallbacks (layout assumes a monospace advance).
const FONT: &str = "'Noto Sans Mono', 'DejaVu Sans Mono', Menlo, Consolas, monospace";

/// SVG font size whose monospace advance (0.6 em) matches the bitmap font.
fn font_px(size: TextSize) -> f64 {
    (size.char_width() / 0.6).round()
}

fn n(v: f64) -> String {
    let r = (v * 100.0).round() / 100.0;
    if r == r.trunc() {
        format!("{}", r as i64)
    } else {
        format!("{r}")
    }
}

pub(crate) fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&apos;"),
            c if (c as u32) < 0x20 && c != '\t' => o.push(' '),
            c => o.push(c),
        }
    }
    o
}

fn color_attr(name: &str, c: crate::Color) -> String {
    if c.3 == 255 {
        format!(" {name}=\"{}\"", c.hex())
    } else {
        format!(
            " {name}=\"{}\" {name}-opacity=\"{}\"",
            c.hex(),
            n(c.3 as f64 / 255.0)
        )
    }
}

pub(crate) fn render(fig: &Figure) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
    let _ = writeln!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" xmlns:xlink=\"http://www.w3.org/1999/xlink\" \
         width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" font-family=\"{FONT}\">",
        w = fig.width,
        h = fig.height
    );
    let mut clip_id = 0;
    for p in &fig.prims {
        match p {
            Prim::Rect {
                x,
                y,
                w,
                h,
                fill,
                stroke,
            } => {
                let _ = write!(
                    s,
                    "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"",
                    n(*x),
                    n(*y),
                    n(*w),
                    n(*h)
                );
                match fill {
                    Some(c) => s.push_str(&color_attr("fill", *c)),
                    None => s.push_str(" fill=\"none\""),
                }
                if let Some((c, width)) = stroke {
                    s.push_str(&color_attr("stroke", *c));
                    let _ = write!(s, " stroke-width=\"{}\"", n(*width));
                }
                s.push_str("/>\n");
            }
            Prim::Line {
                pts,
                color,
                width,
                dash,
                class,
            } => {
                s.push_str("<polyline");
                if let Some(c) = class {
                    let _ = write!(s, " class=\"{c}\"");
                }
                s.push_str(" fill=\"none\"");
                s.push_str(&color_attr("stroke", *color));
                let _ = write!(
                    s,
                    " stroke-width=\"{}\" stroke-linejoin=\"round\"",
                    n(*width)
                );
                if let Some(d) = dash {
                    let _ = write!(s, " stroke-dasharray=\"{} {}\"", n(*d), n(*d * 0.7));
                }
                s.push_str(" points=\"");
                for (i, (x, y)) in pts.iter().enumerate() {
                    if i > 0 {
                        s.push(' ');
                    }
                    let _ = write!(s, "{},{}", n(*x), n(*y));
                }
                s.push_str("\"/>\n");
            }
            Prim::Circle { cx, cy, r, fill } => {
                let _ = write!(
                    s,
                    "<circle cx=\"{}\" cy=\"{}\" r=\"{}\"",
                    n(*cx),
                    n(*cy),
                    n(*r)
                );
                s.push_str(&color_attr("fill", *fill));
                s.push_str("/>\n");
            }
            Prim::Text {
                x,
                y,
                text,
                size,
                anchor,
                vertical,
                color,
                bold,
            } => {
                let a = match anchor {
                    Anchor::Start => "start",
                    Anchor::Middle => "middle",
                    Anchor::End => "end",
                };
                // centred on y: the baseline 0.35 em below (dominant-baseline
                // is not honoured by every renderer)
                let fs = font_px(*size);
                let _ = write!(
                    s,
                    "<text x=\"{}\" y=\"{}\" font-size=\"{}\" text-anchor=\"{a}\"",
                    n(*x),
                    n(*y + 0.35 * fs),
                    n(fs)
                );
                s.push_str(&color_attr("fill", *color));
                if *bold {
                    s.push_str(" font-weight=\"bold\"");
                }
                if *vertical {
                    let _ = write!(s, " transform=\"rotate(-90 {} {})\"", n(*x), n(*y));
                }
                let _ = writeln!(s, ">{}</text>", escape(text));
            }
            Prim::Image {
                x,
                y,
                w,
                h,
                cols,
                rows,
                rgba,
            } => {
                let png = crate::raster::encode_rgba(*cols, *rows, rgba);
                let _ = writeln!(
                    s,
                    "<image x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" preserveAspectRatio=\"none\" \
                     style=\"image-rendering:pixelated\" xlink:href=\"data:image/png;base64,{}\"/>",
                    n(*x),
                    n(*y),
                    n(*w),
                    n(*h),
                    base64(&png)
                );
            }
            Prim::GroupBegin { clip, class } => {
                if let Some((x, y, w, h)) = clip {
                    clip_id += 1;
                    let _ = writeln!(
                        s,
                        "<clipPath id=\"clip{clip_id}\"><rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"/></clipPath>",
                        n(*x),
                        n(*y),
                        n(*w),
                        n(*h)
                    );
                }
                s.push_str("<g");
                if let Some(c) = class {
                    let _ = write!(s, " class=\"{c}\"");
                }
                if clip.is_some() {
                    let _ = write!(s, " clip-path=\"url(#clip{clip_id})\"");
                }
                s.push_str(">\n");
            }
            Prim::GroupEnd => s.push_str("</g>\n"),
        }
    }
    s.push_str("</svg>\n");
    s
}

/// Standard base64 with padding.
pub(crate) fn base64(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut o = String::with_capacity(data.len().div_ceil(3) * 4);
    for c in data.chunks(3) {
        let b = [c[0], *c.get(1).unwrap_or(&0), *c.get(2).unwrap_or(&0)];
        let v = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for i in 0..4 {
            if i <= c.len() {
                o.push(T[(v >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                o.push('=');
            }
        }
    }
    o
}

#[cfg(test)]
mod tests {
    #[test]
    fn base64_rfc4648_vectors() {
        let cases = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (i, o) in cases {
            assert_eq!(super::base64(i.as_bytes()), o);
        }
    }

    #[test]
    fn escapes_markup() {
        assert_eq!(super::escape("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
    }
}
