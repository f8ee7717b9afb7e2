//! Placing the references: how many are used, how a block is cut into cells for them (fewer
//! in the earlier rows, so the first is the largest), and the size each must be decoded to.
//! The arrangement is chosen on a layout's largest block so that [`reference_target`], which
//! knows nothing of the copy, still covers every cell the finished layout gives out.

use super::frame::Frame;
use crate::draw::Rect;

/// At most this many references are placed; the contract allows no more.
pub(super) const MAX_REFERENCES: usize = 6;

/// How a collage splits its block: `groups` rows (or columns) of near-equal counts.
#[derive(Debug, Clone, Copy)]
struct Arrangement {
    groups: usize,
    by_rows: bool,
}

/// The collage cells for `count` references in `block` (the frame's image block, perhaps
/// shortened by the copy), in reference order, on whole pixels; none without a block.
pub(super) fn cells(frame: &Frame, block: Option<Rect>, count: usize) -> Vec<Rect> {
    match (frame.images, block) {
        (Some(largest), Some(block)) if count > 0 => {
            let arrangement = choose_arrangement(largest, count, frame.gap());
            arrange(block, count, arrangement, frame.gap())
        }
        _ => Vec::new(),
    }
}

/// The arrangement whose cells come closest to the 4:3..1:1 shapes photos come in, earlier
/// groups holding fewer (so the first reference is the largest). Chosen on a layout's largest
/// image block, so a block shortened by long copy keeps the same arrangement and its cells
/// only shrink: [`reference_target`] relies on that.
fn choose_arrangement(block: Rect, count: usize, gap: f32) -> Arrangement {
    let mut best = (
        f32::INFINITY,
        Arrangement {
            groups: 1,
            by_rows: true,
        },
    );
    for groups in 1..=count {
        for by_rows in [true, false] {
            let arrangement = Arrangement { groups, by_rows };
            let cells = arrange(block, count, arrangement, gap);
            let score = cells
                .iter()
                .map(|c| {
                    let aspect = c.width.max(1.0) / c.height.max(1.0);
                    // 1.15 is a mildly landscape cell: it crops 4:3 and 1:1 photos gently.
                    (aspect / 1.15).ln().abs()
                })
                .sum::<f32>()
                / cells.len().max(1) as f32
                + 0.08 * groups as f32;
            if score < best.0 {
                best = (score, arrangement);
            }
        }
    }
    best.1
}

fn arrange(block: Rect, count: usize, arrangement: Arrangement, gap: f32) -> Vec<Rect> {
    let Arrangement { groups, by_rows } = arrangement;
    let (along, across) = if by_rows {
        (block.height, block.width)
    } else {
        (block.width, block.height)
    };
    let group_size = (along - gap * (groups - 1) as f32) / groups as f32;
    let mut cells = Vec::with_capacity(count);
    let mut placed = 0;
    for g in 0..groups {
        // Fewer in the first groups: 5 in 2 rows is 2 then 3.
        let n = (count - placed) / (groups - g);
        let item = (across - gap * (n.saturating_sub(1)) as f32) / n.max(1) as f32;
        let start = g as f32 * (group_size + gap);
        for i in 0..n {
            let offset = i as f32 * (item + gap);
            let (x, y, w, h) = if by_rows {
                (block.x + offset, block.y + start, item, group_size)
            } else {
                (block.x + start, block.y + offset, group_size, item)
            };
            cells.push(snap(Rect::new(x, y, w, h)));
        }
        placed += n;
    }
    cells
}

/// Rounds a rectangle to whole pixels so tiles are sharp and gaps even.
fn snap(r: Rect) -> Rect {
    let (x0, y0) = (r.x.round(), r.y.round());
    let (x1, y1) = (r.right().round(), r.bottom().round());
    Rect::new(x0, y0, (x1 - x0).max(1.0), (y1 - y0).max(1.0))
}

/// The size every reference must cover for a `width`×`height` ad with `count` references:
/// decode each with [`crate::decode_scaled`] to this and no resolution is wasted (the template
/// generator asks the worker for exactly that).
pub fn reference_target(width: u32, height: u32, count: usize) -> (u32, u32) {
    let count = count.min(MAX_REFERENCES);
    let frame = Frame::new(width, height, count);
    // The largest block's cells (none, so (1, 1), without references). One pixel over: a
    // shorter block's cells can round up where the largest one's rounded down.
    cells(&frame, frame.images, count)
        .iter()
        .fold((1, 1), |(w, h), c| {
            (w.max(c.width as u32 + 1), h.max(c.height as u32 + 1))
        })
}

#[cfg(test)]
mod tests {
    use super::super::tests::{ad, overlaps, photos, ratios};
    use super::super::{Plan, plan};
    use super::*;
    use adgen::contract::output::{Resolution, pixel_size};

    #[test]
    fn reference_target_covers_every_cell() {
        for ratio in ratios() {
            let size = pixel_size(ratio, Resolution::R1K);
            for count in 1..=6 {
                let refs = photos(count);
                let target = reference_target(size.0, size.1, count);
                for headline in [
                    "Hi",
                    "A much longer headline that needs several lines to fit its box",
                ] {
                    let Plan { cells, .. } = plan(&ad(size, headline, None, None, &refs));
                    assert_eq!(cells.len(), count);
                    for cell in cells {
                        assert!(
                            cell.width as u32 <= target.0 && cell.height as u32 <= target.1,
                            "{ratio:?} {count}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn collage_cells_do_not_overlap_and_the_first_is_largest() {
        let block = Rect::new(10.0, 10.0, 600.0, 400.0);
        for count in 1..=6 {
            let cells = arrange(block, count, choose_arrangement(block, count, 6.0), 6.0);
            assert_eq!(cells.len(), count);
            for (i, a) in cells.iter().enumerate() {
                assert!(a.is_within(&block));
                for b in &cells[i + 1..] {
                    assert!(!overlaps(a, b), "{count}: {a:?} {b:?}");
                }
                assert!(cells[0].width * cells[0].height >= a.width * a.height - 1.0);
            }
        }
    }
}
