//! The alternative to the HTTP release contract for warehouses that take EDI: each instruction
//! written as an ANSI X12 004010 940 (Warehouse Shipping Order) file into a drop folder the
//! warehouse collects from. W05 says original (`N`), change (`R`) or cancel (`F`); N1/N3/N4 the
//! ship-to; one LX/W01 per line (quantity, unit, the SKU as the vendor's item number `VN`);
//! W76 the total quantity; G62 (qualifier 10) the SLA's ship-by date and NTE (`WHI`) the
//! handling notes, when the release carries them.
//!
//! The file is named after the instruction (`940-<instruction id>.edi`), written to a temporary
//! name and renamed, so the warehouse never reads half a file and a job run twice writes once.

use super::release::{Action, Instruction};
use crate::attempt::Done;
use crate::attempt::JobError;
use crate::store::jobs::queue::AttemptRecord;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::path::PathBuf;

#[derive(Clone, Debug)]
pub struct DropFolder {
    pub folder: PathBuf,
    /// ISA06/GS02: Milepost's interchange id at this warehouse.
    pub sender_id: String,
    /// ISA08/GS03: the warehouse's.
    pub receiver_id: String,
}

/// X12 elements may not contain the separators; anything else passes.
fn clean(s: &str) -> String {
    s.chars()
        .map(|c| {
            if matches!(c, '*' | '~' | '>' | '\n' | '\r') {
                ' '
            } else {
                c
            }
        })
        .collect::<String>()
        .trim()
        .to_string()
}

fn text(v: &Value, path: &str) -> String {
    clean(v.pointer(path).and_then(Value::as_str).unwrap_or(""))
}

/// A 9-digit control number derived from the instruction, the same on every run.
fn control_number(instruction_id: &str) -> u32 {
    let digest = Sha256::digest(instruction_id.as_bytes());
    u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]]) % 1_000_000_000
}

/// The 940 interchange for one instruction.
pub fn render(i: &Instruction, sender: &str, receiver: &str, now: DateTime<Utc>) -> String {
    let control = control_number(&i.instruction_id);
    let (date6, date8, time) = (
        now.format("%y%m%d").to_string(),
        now.format("%Y%m%d").to_string(),
        now.format("%H%M").to_string(),
    );
    let status = match i.action {
        Action::Release => "N",
        Action::Amend => "R",
        Action::Cancel => "F",
    };
    let o = &i.order;
    let mut body = vec![
        format!("ST*940*{:04}", control % 10_000),
        format!(
            "W05*{status}*{}*{}",
            clean(&i.order_ref),
            text(o, "/customer_po")
        ),
    ];
    if o.pointer("/ship_to/name").is_some() {
        body.push(format!("N1*ST*{}", text(o, "/ship_to/name")));
        body.push(format!("N3*{}", text(o, "/ship_to/street")));
        body.push(format!(
            "N4*{}**{}*{}",
            text(o, "/ship_to/city"),
            text(o, "/ship_to/postal_code"),
            text(o, "/ship_to/country")
        ));
    }
    // G62 qualifier 10, "Requested Ship Date": the SLA's ship-by, as a UTC date.
    if let Some(ship_by) = o["ship_by"]
        .as_str()
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
    {
        body.push(format!(
            "G62*10*{}",
            ship_by.with_timezone(&Utc).format("%Y%m%d")
        ));
    }
    // NTE "WHI" (warehouse instruction): the delivery's handling notes, a line each, 80
    // characters at most (NTE02's length).
    for note in o["notes"].as_str().unwrap_or_default().lines() {
        let note = clean(note);
        if !note.trim().is_empty() {
            body.push(format!(
                "NTE*WHI*{}",
                note.chars().take(80).collect::<String>()
            ));
        }
    }
    let mut total = 0.0;
    for (n, line) in o["lines"].as_array().into_iter().flatten().enumerate() {
        let qty = line["qty"].as_f64().unwrap_or(0.0);
        total += qty;
        let uom = match text(line, "/uom") {
            u if u.is_empty() => "EA".to_string(),
            u => u.to_uppercase(),
        };
        body.push(format!("LX*{}", n + 1));
        body.push(format!("W01*{qty}*{uom}**VN*{}", text(line, "/sku")));
    }
    body.push(format!("W76*{total}"));
    body.push(format!("SE*{}*{:04}", body.len() + 1, control % 10_000));
    let pad = |s: &str| format!("{:<15}", clean(s).chars().take(15).collect::<String>());
    let mut out = vec![
        format!(
            "ISA*00*          *00*          *ZZ*{}*ZZ*{}*{date6}*{time}*U*00401*{control:09}*0*P*>",
            pad(sender),
            pad(receiver)
        ),
        format!(
            "GS*OW*{}*{}*{date8}*{time}*{control}*X*004010",
            clean(sender),
            clean(receiver)
        ),
    ];
    out.extend(body);
    out.push(format!("GE*1*{control}"));
    out.push(format!("IEA*1*{control:09}"));
    out.join("~\n") + "~\n"
}

impl DropFolder {
    /// Writes the instruction's 940 unless a run before did.
    pub async fn write(&self, i: &Instruction) -> Result<Done, JobError> {
        let name = format!(
            "940-{}.edi",
            clean(&i.instruction_id).replace(['/', '\\', ' '], "_")
        );
        let path = self.folder.join(&name);
        let mut record = AttemptRecord {
            request: Some(json!({"file": path.display().to_string()})),
            ..AttemptRecord::default()
        };
        if tokio::fs::try_exists(&path).await.unwrap_or(false) {
            record.response = Some(json!({"written": false, "why": "written by an earlier run"}));
            return Ok(Done { record });
        }
        let content = render(i, &self.sender_id, &self.receiver_id, Utc::now());
        let partial = self.folder.join(format!(".{name}.partial"));
        let written = async {
            tokio::fs::write(&partial, &content).await?;
            tokio::fs::rename(&partial, &path).await
        }
        .await;
        match written {
            Ok(()) => {
                record.response = Some(json!({"written": true, "bytes": content.len()}));
                Ok(Done { record })
            }
            // A drop folder on a share that is away for a while: try again later.
            Err(e) => Err(JobError::transient(format!(
                "could not write {} into {}: {e}",
                name,
                self.folder.display()
            ))
            .with_record(record)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn instruction(action: Action) -> Instruction {
        Instruction {
            instruction_id: "rel-1234".into(),
            action,
            order_ref: "S00042".into(),
            order: json!({"customer_po": "PO*7781", "ship_to": {"name": "Deco Addict", "street": "77 Santa Barbara Rd",
                          "city": "Pleasant Hill", "postal_code": "94523", "country": "US"},
                          "lines": [{"line_ref": "S00042-1", "sku": "E-COM08", "qty": 4.0, "uom": "EA"},
                                    {"line_ref": "S00042-2", "sku": "E-COM11", "qty": 2.0, "uom": "EA"}]}),
        }
    }

    #[test]
    fn the_ship_by_date_and_handling_notes_go_in_g62_and_nte() {
        let mut i = instruction(Action::Release);
        i.order["ship_by"] = json!("2026-03-04T17:00:00+00:00");
        i.order["notes"] = json!("Gift wrap & card\nFragile*handle with care");
        let text = render(&i, "A", "B", Utc::now());
        let segments: Vec<&str> = text.lines().collect();
        assert!(segments.contains(&"G62*10*20260304~"), "{text}");
        let notes: Vec<&&str> = segments.iter().filter(|s| s.starts_with("NTE")).collect();
        assert_eq!(
            notes,
            [
                &"NTE*WHI*Gift wrap & card~",
                &"NTE*WHI*Fragile handle with care~"
            ],
            "separators never inside an element"
        );
        assert!(!render(&instruction(Action::Release), "A", "B", Utc::now()).contains("G62"));
    }

    #[test]
    fn amend_and_cancel_say_so_in_w05() {
        for (action, code) in [(Action::Amend, "R"), (Action::Cancel, "F")] {
            let text = render(&instruction(action), "A", "B", Utc::now());
            assert!(text.contains(&format!("W05*{code}*S00042")), "{text}");
        }
    }

    #[tokio::test]
    async fn a_file_is_written_once_whole_and_a_missing_folder_is_retried() {
        let dir = tempfile::tempdir().unwrap();
        let drop = DropFolder {
            folder: dir.path().to_path_buf(),
            sender_id: "MILEPOST".into(),
            receiver_id: "WMS".into(),
        };
        let i = instruction(Action::Release);
        drop.write(&i).await.unwrap();
        let again = drop.write(&i).await.unwrap();
        assert_eq!(again.record.response.unwrap()["written"], false);
        let files: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|f| f.unwrap().file_name())
            .collect();
        assert_eq!(files, ["940-rel-1234.edi"], "one file, no partial left");

        let gone = DropFolder {
            folder: dir.path().join("not-mounted"),
            ..drop
        };
        let error = gone.write(&i).await.unwrap_err();
        assert_eq!(error.failure, crate::attempt::Failure::Transient);
        assert!(
            error.message.contains("could not write 940-rel-1234.edi"),
            "{}",
            error.message
        );
    }
}
