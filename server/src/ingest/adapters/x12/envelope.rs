//! The X12 envelope: ISA/IEA around GS/GE groups around ST/SE transaction sets, with every count
//! and control number checked. Delimiters are read from the fixed-width ISA segment, as the
//! standard says, so any element, component and segment separator works.

/// Errors name the segment (by its 1-based position in the interchange) a partner must fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum X12Error {
    #[error("the interchange is empty")]
    Empty,
    #[error("the interchange must start with a 106-character ISA segment: {0}")]
    BadIsa(String),
    #[error("the interchange ends before its {expected} segment: it is truncated")]
    Truncated { expected: &'static str },
    #[error("segment {position} ({id}) is not expected here: {reason}")]
    Unexpected {
        position: usize,
        id: String,
        reason: String,
    },
    #[error("segment {position} ({trailer}) counts {declared} {what}, but {actual} were sent")]
    CountMismatch {
        position: usize,
        trailer: &'static str,
        what: &'static str,
        declared: String,
        actual: usize,
    },
    #[error("segment {position} ({trailer}) has control number {found}, but its {header} has {expected}")]
    ControlMismatch {
        position: usize,
        trailer: &'static str,
        header: &'static str,
        found: String,
        expected: String,
    },
    #[error("segment {position} ({id}) is missing element {element}")]
    MissingElement {
        position: usize,
        id: String,
        element: String,
    },
}

/// One segment: its id and its elements, numbered as X12 numbers them (`element(1)` is `XX01`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    pub id: String,
    pub elements: Vec<String>,
    /// 1-based position in the interchange (ISA is 1).
    pub position: usize,
}

impl Segment {
    /// Element `n` (1-based, as in `W12*01*02`), `None` when absent or empty.
    pub fn element(&self, n: usize) -> Option<&str> {
        n.checked_sub(1)
            .and_then(|i| self.elements.get(i))
            .map(String::as_str)
            .filter(|e| !e.is_empty())
    }

    fn required(&self, n: usize) -> Result<&str, X12Error> {
        self.element(n).ok_or_else(|| X12Error::MissingElement {
            position: self.position,
            id: self.id.clone(),
            element: format!("{}{n:02}", self.id),
        })
    }
}

/// A transaction set: the segments between its ST and SE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransactionSet {
    /// ST01, e.g. `945`.
    pub id: String,
    pub control_number: String,
    pub segments: Vec<Segment>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionalGroup {
    /// GS01, e.g. `SW` (945), `QM` (214), `SH` (856).
    pub functional_id: String,
    pub sender: String,
    pub receiver: String,
    pub control_number: String,
    /// GS08, e.g. `004010`.
    pub version: String,
    /// GS04 (CCYYMMDD) and GS05 (HHMM): when the group was written.
    pub date: Option<String>,
    pub time: Option<String>,
    pub transactions: Vec<TransactionSet>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interchange {
    pub sender: String,
    pub receiver: String,
    pub control_number: String,
    /// ISA15: `P` production, `T` test.
    pub usage: String,
    pub groups: Vec<FunctionalGroup>,
}

const ISA_LEN: usize = 106;

/// Parses and checks one interchange.
pub fn parse(input: &str) -> Result<Interchange, X12Error> {
    let input = input.trim_start();
    if input.is_empty() {
        return Err(X12Error::Empty);
    }
    if !input.starts_with("ISA") {
        return Err(X12Error::BadIsa("it does not start with ISA".into()));
    }
    let isa: Vec<char> = input.chars().take(ISA_LEN).collect();
    if isa.len() < ISA_LEN {
        return Err(X12Error::BadIsa(format!("only {} characters", isa.len())));
    }
    let (element_sep, segment_end) = (isa[3], isa[105]);
    if element_sep.is_alphanumeric() || segment_end.is_alphanumeric() || element_sep == segment_end
    {
        return Err(X12Error::BadIsa("its separators are not valid".into()));
    }
    let segments = split(input, element_sep, segment_end);
    let mut cursor = Cursor { segments, next: 0 };

    let isa = cursor.take("ISA")?;
    if isa.elements.len() != 16 {
        return Err(X12Error::BadIsa(format!(
            "it has {} elements instead of 16",
            isa.elements.len()
        )));
    }
    let mut interchange = Interchange {
        sender: isa.required(6)?.trim().to_string(),
        receiver: isa.required(8)?.trim().to_string(),
        control_number: isa.required(13)?.to_string(),
        usage: isa.required(15)?.to_string(),
        groups: Vec::new(),
    };
    while cursor.peek_id() == Some("GS") {
        interchange.groups.push(parse_group(&mut cursor)?);
    }
    let iea = cursor.take("IEA")?;
    check_count(&iea, "IEA", "functional groups", interchange.groups.len())?;
    check_control(&iea, "IEA", "ISA", &interchange.control_number)?;
    if let Some(extra) = cursor.segments.get(cursor.next) {
        return Err(unexpected(extra, "nothing may follow IEA"));
    }
    Ok(interchange)
}

fn parse_group(cursor: &mut Cursor) -> Result<FunctionalGroup, X12Error> {
    let gs = cursor.take("GS")?;
    let mut group = FunctionalGroup {
        functional_id: gs.required(1)?.to_string(),
        sender: gs.required(2)?.to_string(),
        receiver: gs.required(3)?.to_string(),
        control_number: gs.required(6)?.to_string(),
        version: gs.required(8)?.to_string(),
        date: gs.element(4).map(str::to_string),
        time: gs.element(5).map(str::to_string),
        transactions: Vec::new(),
    };
    while cursor.peek_id() == Some("ST") {
        group.transactions.push(parse_transaction(cursor)?);
    }
    let ge = cursor.take("GE")?;
    check_count(&ge, "GE", "transaction sets", group.transactions.len())?;
    check_control(&ge, "GE", "GS", &group.control_number)?;
    Ok(group)
}

fn parse_transaction(cursor: &mut Cursor) -> Result<TransactionSet, X12Error> {
    let st = cursor.take("ST")?;
    let id = st.required(1)?.to_string();
    let control_number = st.required(2)?.to_string();
    let mut segments = Vec::new();
    loop {
        let Some(segment) = cursor.segments.get(cursor.next).cloned() else {
            return Err(X12Error::Truncated { expected: "SE" });
        };
        cursor.next += 1;
        match segment.id.as_str() {
            "SE" => {
                // SE01 counts every segment of the set, ST and SE included.
                check_count(&segment, "SE", "segments", segments.len() + 2)?;
                check_control(&segment, "SE", "ST", &control_number)?;
                return Ok(TransactionSet {
                    id,
                    control_number,
                    segments,
                });
            }
            "ISA" | "IEA" | "GS" | "GE" | "ST" => {
                return Err(unexpected(
                    &segment,
                    &format!("transaction set {control_number} has no SE before it"),
                ))
            }
            _ => segments.push(segment),
        }
    }
}

struct Cursor {
    segments: Vec<Segment>,
    next: usize,
}

impl Cursor {
    fn peek_id(&self) -> Option<&str> {
        self.segments.get(self.next).map(|s| s.id.as_str())
    }

    fn take(&mut self, id: &'static str) -> Result<Segment, X12Error> {
        match self.segments.get(self.next) {
            None => Err(X12Error::Truncated { expected: id }),
            Some(segment) if segment.id == id => {
                self.next += 1;
                Ok(segment.clone())
            }
            Some(segment) => Err(unexpected(segment, &format!("expected {id}"))),
        }
    }
}

fn split(input: &str, element_sep: char, segment_end: char) -> Vec<Segment> {
    input
        .split(segment_end)
        // Line breaks after the terminator are common and not part of the data.
        .map(|s| s.trim_matches(|c: char| c == '\r' || c == '\n'))
        .filter(|s| !s.trim().is_empty())
        .enumerate()
        .map(|(i, raw)| {
            let mut parts = raw.split(element_sep).map(str::to_string);
            let id = parts.next().unwrap_or_default().trim().to_string();
            Segment {
                id,
                elements: parts.collect(),
                position: i + 1,
            }
        })
        .collect()
}

fn unexpected(segment: &Segment, reason: &str) -> X12Error {
    X12Error::Unexpected {
        position: segment.position,
        id: segment.id.clone(),
        reason: reason.to_string(),
    }
}

fn check_count(
    trailer: &Segment,
    name: &'static str,
    what: &'static str,
    actual: usize,
) -> Result<(), X12Error> {
    let declared = trailer.required(1)?;
    if declared.trim().parse::<usize>().ok() == Some(actual) {
        Ok(())
    } else {
        Err(X12Error::CountMismatch {
            position: trailer.position,
            trailer: name,
            what,
            declared: declared.to_string(),
            actual,
        })
    }
}

fn check_control(
    trailer: &Segment,
    name: &'static str,
    header: &'static str,
    expected: &str,
) -> Result<(), X12Error> {
    let found = trailer.required(2)?;
    if found.trim() == expected.trim() {
        Ok(())
    } else {
        Err(X12Error::ControlMismatch {
            position: trailer.position,
            trailer: name,
            header,
            found: found.to_string(),
            expected: expected.to_string(),
        })
    }
}

#[cfg(test)]
mod tests;
