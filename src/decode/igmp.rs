//! IGMP v1/v2/v3 (print-igmp.c): queries, reports, leaves.

use super::{Ctx, R, w};
use crate::wire::bytes::{be16, be32, has, u8_at};
use crate::wire::checksum;

pub(crate) fn print(ctx: &mut Ctx<'_>, bp: &[u8], len: usize) -> R {
    ctx.proto = "igmp";
    if ctx.o.quiet {
        ctx.put("igmp");
        return Ok(());
    }
    match u8_at(bp, 0)? {
        0x11 => {
            ctx.put("igmp query");
            if len >= 12 {
                v3_query(ctx, bp, len)?;
            } else {
                let mrt = u8_at(bp, 1)?;
                if mrt != 0 {
                    ctx.put(" v2");
                    if mrt != 100 {
                        w!(ctx, " [max resp time {mrt}]");
                    }
                } else {
                    ctx.put(" v1");
                }
                if be32(bp, 4)? != 0 {
                    ctx.ip4_after(" [gaddr ", bp, 4)?;
                    ctx.put("]");
                }
                if len != 8 {
                    w!(ctx, " [len {len}]");
                }
            }
        }
        0x12 => {
            ctx.ip4_after("igmp v1 report ", bp, 4)?;
            if len != 8 {
                w!(ctx, " [len {len}]");
            }
        }
        0x16 => {
            ctx.ip4_after("igmp v2 report ", bp, 4)?;
        }
        0x22 => {
            ctx.put("igmp v3 report");
            v3_report(ctx, bp, len)?;
        }
        0x17 => {
            ctx.ip4_after("igmp leave ", bp, 4)?;
        }
        // DVMRP, PIMv1 and mtrace are not decoded.
        0x13 => ctx.put("igmp dvmrp"),
        0x14 => ctx.put("igmp pimv1"),
        0x1e => ctx.put("mresp"),
        0x1f => ctx.put("mtrace"),
        t => w!(ctx, "igmp-{t}"),
    }
    if ctx.v() > 0 && len >= 4 && has(bp, 0, len) && checksum::internet(&[&bp[..len]]) != 0 {
        w!(ctx, " bad igmp cksum {:x}!", be16(bp, 2)?);
    }
    Ok(())
}

fn v3_report(ctx: &mut Ctx<'_>, bp: &[u8], len: usize) -> R {
    if len < 16 || len & 3 != 0 {
        w!(ctx, " [invalid len {len}]");
        return Ok(());
    }
    let ngroups = be16(bp, 6)?;
    w!(ctx, ", {ngroups} group record(s)");
    if ctx.v() > 0 {
        let mut group = 8usize;
        for _ in 0..ngroups {
            if len < group + 8 {
                ctx.put(" [invalid number of groups]");
                return Ok(());
            }
            ctx.ip4_after(" [gaddr ", bp, group + 4)?;
            let t = u8_at(bp, group)?;
            match t {
                1 => ctx.put(" is_in"),
                2 => ctx.put(" is_ex"),
                3 => ctx.put(" to_in"),
                4 => ctx.put(" to_ex"),
                5 => ctx.put(" allow"),
                6 => ctx.put(" block"),
                _ => w!(ctx, "  [v3-report-#{t}]"),
            }
            let nsrcs = usize::from(be16(bp, group + 2)?);
            if len < group + 8 + (nsrcs << 2) {
                w!(ctx, " [invalid number of sources {nsrcs}]");
                return Ok(());
            }
            if ctx.v() == 1 {
                w!(ctx, ", {nsrcs} source(s)");
            } else {
                ctx.put(" {");
                for j in 0..nsrcs {
                    ctx.ip4_after(" ", bp, group + 8 + (j << 2))?;
                }
                ctx.put(" }");
            }
            group += 8 + (nsrcs << 2);
            ctx.put("]");
        }
    }
    Ok(())
}

fn v3_query(ctx: &mut Ctx<'_>, bp: &[u8], len: usize) -> R {
    ctx.put(" v3");
    if len < 12 || len & 3 != 0 {
        w!(ctx, " [invalid len {len}]");
        return Ok(());
    }
    let mrc = u32::from(u8_at(bp, 1)?);
    let mrt = if mrc < 128 {
        mrc
    } else {
        ((mrc & 0x0f) | 0x10) << (((mrc & 0x70) >> 4) + 3)
    };
    if mrc != 100 {
        ctx.put(" [max resp time ");
        if mrt < 600 {
            w!(ctx, "{:.1}s", f64::from(mrt) * 0.1);
        } else {
            super::dns::relts(ctx, mrt / 10);
        }
        ctx.put("]");
    }
    if be32(bp, 4)? == 0 {
        return Ok(());
    }
    ctx.ip4_after(" [gaddr ", bp, 4)?;
    let nsrcs = usize::from(be16(bp, 10)?);
    if nsrcs > 0 {
        if len < 12 + (nsrcs << 2) {
            ctx.put(" [invalid number of sources]");
        } else if ctx.v() > 1 {
            ctx.put(" {");
            for i in 0..nsrcs {
                ctx.ip4_after(" ", bp, 12 + (i << 2))?;
            }
            ctx.put(" }");
        } else {
            w!(ctx, ", {nsrcs} source(s)");
        }
    }
    ctx.put("]");
    Ok(())
}
