//! Business-time arithmetic, policy matching and versioning, clocks and KPI shares.

use super::calendar::BusinessCalendar;
use super::clock::finish;
use super::*;
use crate::domain::status::PauseReason;
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use proptest::prelude::*;
use std::collections::BTreeSet;

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// Mon–Fri 08:00–17:00 in New York, cut-off 14:00, with Thanksgiving 2026 closed.
fn warehouse() -> BusinessCalendar {
    let day = Some(DayHours {
        open: 8 * 60,
        close: 17 * 60,
    });
    BusinessCalendar {
        zone: Tz::America__New_York,
        week: [day, day, day, day, day, None, None],
        holidays: BTreeSet::from([NaiveDate::from_ymd_opt(2026, 11, 26).unwrap()]),
        cutoff: NaiveTime::from_hms_opt(14, 0, 0),
    }
}

/// A carrier that works all day Monday to Saturday in Chicago.
fn carrier() -> BusinessCalendar {
    let day = Some(DayHours {
        open: 0,
        close: 1440,
    });
    BusinessCalendar {
        zone: Tz::America__Chicago,
        week: [day, day, day, day, day, day, None],
        holidays: BTreeSet::new(),
        cutoff: None,
    }
}

#[test]
fn a_business_day_across_the_spring_change_is_an_hour_shorter() {
    let cal = carrier();
    // 2026-03-08 is a Sunday (closed); take Saturday 7 March to Monday 9 March 2026 in Chicago.
    let from = Tz::America__Chicago
        .with_ymd_and_hms(2026, 3, 7, 0, 0, 0)
        .unwrap();
    let to = Tz::America__Chicago
        .with_ymd_and_hms(2026, 3, 10, 0, 0, 0)
        .unwrap();
    let open = cal.business_between(from.with_timezone(&Utc), to.with_timezone(&Utc));
    assert_eq!(open, Duration::hours(48));
    // All week in New York, the day clocks spring forward has 23 hours.
    let always = BusinessCalendar {
        zone: Tz::America__New_York,
        ..carrier()
    };
    let sat = utc("2026-03-07T05:00:00Z"); // Saturday midnight in New York (EST)
    let mon = utc("2026-03-09T04:00:00Z"); // Monday midnight (EDT)
    assert_eq!(always.business_between(sat, mon), Duration::hours(24));
    let week = BusinessCalendar {
        week: [Some(DayHours {
            open: 0,
            close: 1440,
        }); 7],
        ..always
    };
    assert_eq!(week.business_between(sat, mon), Duration::hours(47));
}

#[test]
fn a_business_day_across_the_autumn_change_is_an_hour_longer() {
    let week = BusinessCalendar {
        zone: Tz::America__New_York,
        week: [Some(DayHours {
            open: 0,
            close: 1440,
        }); 7],
        holidays: BTreeSet::new(),
        cutoff: None,
    };
    // Sunday 1 November 2026, midnight EDT to Monday midnight EST: 25 hours.
    let sun = utc("2026-11-01T04:00:00Z");
    let mon = utc("2026-11-02T05:00:00Z");
    assert_eq!(week.business_between(sun, mon), Duration::hours(25));
}

#[test]
fn hours_skip_the_night_the_weekend_and_a_holiday() {
    let cal = warehouse();
    // Wednesday 25 Nov 2026, 15:00 New York; Thursday is Thanksgiving; 4 business hours left
    // after Wednesday's 2 run into Friday 10:00.
    let start = utc("2026-11-25T20:00:00Z");
    let due = cal.add_business(start, Duration::hours(4)).unwrap();
    assert_eq!(due, utc("2026-11-27T15:00:00Z"));
    // Friday 16:00 plus 3 hours: 1 on Friday, then Monday 10:00.
    let due = cal
        .add_business(utc("2026-11-27T21:00:00Z"), Duration::hours(3))
        .unwrap();
    assert_eq!(due, utc("2026-11-30T15:00:00Z"));
}

#[test]
fn released_after_the_cutoff_counts_from_the_next_opening() {
    let cal = warehouse();
    // Tuesday 24 Nov 13:59 New York: before the cut-off, counts at once.
    let before = utc("2026-11-24T18:59:00Z");
    assert_eq!(cal.counting_from(before), Some(before));
    // 14:01: after it, counts from Wednesday 08:00.
    let after = utc("2026-11-24T19:01:00Z");
    assert_eq!(cal.counting_from(after), Some(utc("2026-11-25T13:00:00Z")));
    // Wednesday 15:00 (after the cut-off) skips Thanksgiving to Friday 08:00.
    let wed = utc("2026-11-25T20:00:00Z");
    assert_eq!(cal.counting_from(wed), Some(utc("2026-11-27T13:00:00Z")));
    // Saturday: Monday 08:00.
    let sat = utc("2026-11-28T15:00:00Z");
    assert_eq!(cal.counting_from(sat), Some(utc("2026-11-30T13:00:00Z")));
}

#[test]
fn a_release_tells_the_warehouse_its_ship_by_and_the_cut_off_that_applies() {
    let cal = warehouse();
    let p = policy(1, 1, 0, "2026-01-01T00:00:00Z", None);
    // Tuesday 24 Nov 13:00 New York, before the 14:00 cut-off: eight business hours from now
    // end Wednesday 12:00; the cut-off that applies is today's.
    let t = release_times(Some(&p), &cal, utc("2026-11-24T18:00:00Z"));
    assert_eq!(t.ship_by, Some(utc("2026-11-25T17:00:00Z")));
    assert_eq!(t.cut_off, Some(utc("2026-11-24T19:00:00Z")));
    // Wednesday 15:00, after the cut-off: counting starts Friday 08:00 (Thursday is a holiday),
    // due Friday 16:00; the next cut-off is Friday's.
    let t = release_times(Some(&p), &cal, utc("2026-11-25T20:00:00Z"));
    assert_eq!(t.ship_by, Some(utc("2026-11-27T21:00:00Z")));
    assert_eq!(t.cut_off, Some(utc("2026-11-27T19:00:00Z")));
    // No ship target, no cut-off: nothing is made up.
    let mut open = p.clone();
    open.targets.ship_minutes = None;
    let t = release_times(
        Some(&open),
        &BusinessCalendar::always_open(),
        utc("2026-11-25T20:00:00Z"),
    );
    assert_eq!(t, ReleaseTimes::default());
}

#[test]
fn a_pause_over_closed_hours_costs_only_the_business_time_it_covers() {
    let cal = warehouse();
    // Tuesday 24 Nov 16:00 NY start, 4 h target. Paused from 16:30 Tuesday to 09:00 Wednesday:
    // only 30 min Tuesday + 60 min Wednesday of it were business time.
    let start = utc("2026-11-24T21:00:00Z");
    let pause = (
        utc("2026-11-24T21:30:00Z"),
        Some(utc("2026-11-25T14:00:00Z")),
    );
    let due = finish(&cal, start, Duration::hours(4), &[pause]).unwrap();
    // 30 min before the pause, then 3 h 30 from Wednesday 09:00: 12:30.
    assert_eq!(due, utc("2026-11-25T17:30:00Z"));
    // A pause that has not ended leaves no due time.
    assert_eq!(
        finish(&cal, start, Duration::hours(4), &[(pause.0, None)]),
        None
    );
}

fn policy(id: i64, version: i32, position: i32, from: &str, to: Option<&str>) -> PolicyVersion {
    PolicyVersion {
        policy_id: id,
        version,
        name: format!("p{id}v{version}"),
        position,
        account_id: None,
        service_level: None,
        priority: None,
        warehouse_code: None,
        targets: Targets {
            release_minutes: Some(60),
            ship_minutes: Some(8 * 60),
            deliver_days: Some(2),
            promise: true,
        },
        at_risk_percent: 25,
        effective_from: utc(from),
        effective_to: to.map(utc),
    }
}

#[test]
fn the_first_matching_policy_by_position_wins() {
    let mut express = policy(2, 1, 1, "2026-01-01T00:00:00Z", None);
    express.service_level = Some("express".into());
    let mut nj_express = policy(3, 1, 0, "2026-01-01T00:00:00Z", None);
    nj_express.service_level = Some("express".into());
    nj_express.warehouse_code = Some("NJ".into());
    let fallback = policy(1, 1, 9, "2026-01-01T00:00:00Z", None);
    let all = vec![fallback, express, nj_express];
    let at = utc("2026-06-01T00:00:00Z");
    let order = |sl: &str, wh: &str| OrderKeys {
        service_level: Some(sl.into()),
        warehouse_code: Some(wh.into()),
        ..OrderKeys::default()
    };
    assert_eq!(
        select(&all, &order("EXPRESS", "NJ"), at).unwrap().policy_id,
        3
    );
    assert_eq!(
        select(&all, &order("express", "RNO"), at)
            .unwrap()
            .policy_id,
        2
    );
    assert_eq!(
        select(&all, &order("ground", "NJ"), at).unwrap().policy_id,
        1
    );
}

#[test]
fn an_edit_applies_to_orders_from_then_on_and_old_clocks_keep_their_version() {
    let v1 = policy(
        1,
        1,
        0,
        "2026-01-01T00:00:00Z",
        Some("2026-06-01T00:00:00Z"),
    );
    let mut v2 = policy(1, 2, 0, "2026-06-01T00:00:00Z", None);
    v2.targets.release_minutes = Some(30);
    let all = vec![v1, v2];
    let keys = OrderKeys::default();
    assert_eq!(
        select(&all, &keys, utc("2026-05-31T23:59:59Z"))
            .unwrap()
            .version,
        1
    );
    assert_eq!(
        select(&all, &keys, utc("2026-06-01T00:00:00Z"))
            .unwrap()
            .version,
        2
    );
    // Before any version existed, nothing applies.
    assert!(select(&all, &keys, utc("2025-12-31T00:00:00Z")).is_none());
}

#[test]
fn a_policy_draft_names_each_wrong_field() {
    let draft = PolicyDraft {
        name: " ".into(),
        at_risk_percent: 0,
        release_hours: "soon".into(),
        deliver_days: "1.5".into(),
        ..PolicyDraft::default()
    };
    let errors = policy::check(&draft).unwrap_err();
    for field in ["name", "at_risk_percent", "release_hours", "deliver_days"] {
        assert!(errors.0.contains_key(field), "{field} in {errors:?}");
    }
    let ok = policy::check(&PolicyDraft {
        name: "Express".into(),
        service_level: " express ".into(),
        ship_hours: "4.5".into(),
        at_risk_percent: 20,
        ..PolicyDraft::default()
    })
    .unwrap();
    assert_eq!(ok.targets.ship_minutes, Some(270));
    assert_eq!(ok.service_level.as_deref(), Some("express"));
    let none = policy::check(&PolicyDraft {
        name: "Nothing".into(),
        at_risk_percent: 20,
        ..PolicyDraft::default()
    })
    .unwrap_err();
    assert!(none.0.contains_key("release_hours"));
}

fn sample_facts() -> SlaFacts {
    SlaFacts {
        ordered_at: Some(utc("2026-11-24T14:00:00Z")),
        confirmed_at: Some(utc("2026-11-24T14:00:00Z")), // Tue 09:00 NY
        released_at: Some(utc("2026-11-24T14:30:00Z")),
        dispatched_at: Some(utc("2026-11-24T20:00:00Z")), // 15:00 NY
        promised_deliver_by: Some(utc("2026-11-27T23:00:00Z")),
        ..SlaFacts::default()
    }
}

fn cals<'a>(wh: &'a BusinessCalendar, ca: &'a BusinessCalendar) -> Calendars<'a> {
    Calendars {
        warehouse: wh,
        carrier: ca,
    }
}

#[test]
fn clocks_say_met_running_at_risk_and_breached() {
    let (wh, ca) = (warehouse(), carrier());
    let p = policy(1, 1, 0, "2026-01-01T00:00:00Z", None);
    let now = utc("2026-11-25T12:00:00Z");
    let all = clocks(
        &sample_facts(),
        &p,
        cals(&wh, &ca),
        Observed::default(),
        now,
    );
    let by = |s: Segment| all.iter().find(|c| c.segment == s).unwrap();
    assert_eq!(by(Segment::Release).state_at(now), ClockState::Met);
    assert_eq!(by(Segment::Ship).state_at(now), ClockState::Met);
    let deliver = by(Segment::Deliver);
    // Dispatched Tue 14:00 Chicago; 2 carrier days: Thu 14:00 Chicago.
    assert_eq!(deliver.due_at, Some(utc("2026-11-26T20:00:00Z")));
    assert_eq!(deliver.state_at(now), ClockState::Running);
    // 25 % of 48 h = 12 h before due.
    assert_eq!(deliver.at_risk_at, Some(utc("2026-11-26T08:00:00Z")));
    assert_eq!(
        deliver.state_at(utc("2026-11-26T09:00:00Z")),
        ClockState::AtRisk
    );
    assert_eq!(
        deliver.state_at(utc("2026-11-26T20:00:00Z")),
        ClockState::Breached
    );
    assert_eq!(deliver.remaining_at(now, &ca), Some(32 * 3600));
    // A slow carrier's p80 above the target flags it before the threshold.
    let slow = Observed {
        deliver_p80: Some(60 * 3600),
        ..Observed::default()
    };
    let all = clocks(&sample_facts(), &p, cals(&wh, &ca), slow, now);
    let deliver = all.iter().find(|c| c.segment == Segment::Deliver).unwrap();
    assert_eq!(deliver.state_at(now), ClockState::AtRisk);
}

#[test]
fn a_parcel_returned_to_the_sender_stops_the_delivery_clock_breached() {
    let (wh, ca) = (warehouse(), carrier());
    let p = policy(1, 1, 0, "2026-01-01T00:00:00Z", None);
    let now = utc("2026-11-30T12:00:00Z");
    let mut f = sample_facts();
    // Returned on Wednesday, before the Thursday due time: the goods never arrived.
    f.returned_at = Some(utc("2026-11-25T18:00:00Z"));
    let all = clocks(&f, &p, cals(&wh, &ca), Observed::default(), now);
    let by = |s: Segment| all.iter().find(|c| c.segment == s).unwrap().clone();
    let deliver = by(Segment::Deliver);
    assert_eq!(deliver.ended_at, f.returned_at, "stopped, not running on");
    assert!(deliver.failed);
    assert_eq!(deliver.state_at(now), ClockState::Breached);
    assert_eq!(by(Segment::Promise).state_at(now), ClockState::Breached);
    // It counts as a delivery measured and missed, not as no delivery at all.
    let kpi = order_kpi(
        &crate::domain::projection::OrderProjection::default(),
        &f,
        &all,
    )
    .unwrap();
    assert!(kpi.deliver_measured && !kpi.deliver_on_time && !kpi.delivered);
    // Delivered after all (a return cancelled on the way): the delivery decides.
    f.delivered_at = Some(utc("2026-11-26T15:00:00Z"));
    let all = clocks(&f, &p, cals(&wh, &ca), Observed::default(), now);
    let deliver = all.iter().find(|c| c.segment == Segment::Deliver).unwrap();
    assert!(!deliver.failed);
    assert_eq!(deliver.state_at(now), ClockState::Met);
}

#[test]
fn a_late_event_that_changes_the_past_changes_the_clock() {
    let (wh, ca) = (warehouse(), carrier());
    let p = policy(1, 1, 0, "2026-01-01T00:00:00Z", None);
    let now = utc("2026-11-30T12:00:00Z");
    let mut f = sample_facts();
    let late = |f: &SlaFacts| {
        clocks(f, &p, cals(&wh, &ca), Observed::default(), now)
            .into_iter()
            .find(|c| c.segment == Segment::Deliver)
            .unwrap()
            .state_at(now)
    };
    assert_eq!(late(&f), ClockState::Breached);
    // The delivery scan of Thursday morning arrives on Monday.
    f.delivered_at = Some(utc("2026-11-26T15:00:00Z"));
    assert_eq!(late(&f), ClockState::Met);
    // A hold found later pauses the release clock, and the ship clock starts after the cut-off.
    f.released_at = Some(utc("2026-11-24T19:30:00Z")); // 14:30 NY, after the cut-off
    f.pauses = vec![Pause {
        reason: PauseReason::OnHold,
        from: utc("2026-11-24T14:10:00Z"),
        until: Some(utc("2026-11-24T19:10:00Z")),
    }];
    let all = clocks(&f, &p, cals(&wh, &ca), Observed::default(), now);
    let release = all.iter().find(|c| c.segment == Segment::Release).unwrap();
    assert_eq!(release.paused_seconds, 5 * 3600);
    assert_eq!(release.state_at(now), ClockState::Met);
    let ship = all.iter().find(|c| c.segment == Segment::Ship).unwrap();
    assert_eq!(ship.started_at, utc("2026-11-25T13:00:00Z"));
}

#[test]
fn a_cancelled_order_keeps_only_finished_clocks() {
    let (wh, ca) = (warehouse(), carrier());
    let p = policy(1, 1, 0, "2026-01-01T00:00:00Z", None);
    let mut f = sample_facts();
    f.dispatched_at = None;
    f.cancelled = true;
    let all = clocks(
        &f,
        &p,
        cals(&wh, &ca),
        Observed::default(),
        utc("2026-11-30T00:00:00Z"),
    );
    let segments: Vec<_> = all.iter().map(|c| c.segment).collect();
    assert_eq!(segments, vec![Segment::Release]);
}

#[test]
fn the_horizon_is_ten_years() {
    // Open one minute a week: 600 business minutes would take eleven years.
    let cal = BusinessCalendar {
        zone: Tz::UTC,
        week: [
            None,
            Some(DayHours { open: 0, close: 1 }),
            None,
            None,
            None,
            None,
            None,
        ],
        holidays: BTreeSet::new(),
        cutoff: None,
    };
    let start = utc("2026-01-01T00:00:00Z");
    assert_eq!(cal.add_business(start, Duration::minutes(600)), None);
    assert!(cal.add_business(start, Duration::minutes(500)).is_some());
}

// Property tests: random calendars, instants and amounts.

fn zone() -> impl Strategy<Value = Tz> {
    prop_oneof![
        Just(Tz::UTC),
        Just(Tz::America__New_York),
        Just(Tz::Europe__London),
        Just(Tz::Australia__Lord_Howe), // a 30-minute DST shift
        Just(Tz::America__Chicago),
    ]
}

fn calendar() -> impl Strategy<Value = BusinessCalendar> {
    let day = prop_oneof![
        1 => Just(None),
        3 => (0u16..1380, 1u16..=600).prop_map(|(open, len)| Some(DayHours {
            open,
            close: (open + len).min(1440),
        })),
    ];
    (
        zone(),
        proptest::array::uniform7(day),
        proptest::collection::btree_set(0i64..400, 0..20),
        proptest::option::of(0u32..1440),
    )
        // At least an hour a week: ten years of it (the arithmetic's horizon) hold more business
        // time than any amount below asks for. Emptier calendars: see `the_horizon_is_ten_years`.
        .prop_filter("open an hour a week", |(_, week, _, _)| {
            week.iter().flatten().map(|h| h.close - h.open).sum::<u16>() >= 60
        })
        .prop_map(|(zone, week, holidays, cutoff)| BusinessCalendar {
            zone,
            week,
            holidays: holidays
                .into_iter()
                .map(|d| NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() + Duration::days(d))
                .collect(),
            cutoff: cutoff.map(|m| NaiveTime::from_hms_opt(m / 60, m % 60, 0).unwrap()),
        })
}

fn instant() -> impl Strategy<Value = DateTime<Utc>> {
    // Across 2026, which has every DST change of these zones.
    (0i64..365 * 24 * 60).prop_map(|m| utc("2026-01-01T00:00:00Z") + Duration::minutes(m))
}

fn is_open(cal: &BusinessCalendar, at: DateTime<Utc>) -> bool {
    let day = at.with_timezone(&cal.zone).date_naive();
    [day - Duration::days(1), day]
        .into_iter()
        .filter_map(|d| cal.hours_on(d))
        .any(|(open, close)| open <= at && at <= close)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn adding_business_time_then_measuring_it_gives_it_back(
        cal in calendar(), start in instant(), minutes in 1i64..20_000,
    ) {
        let amount = Duration::minutes(minutes);
        let end = cal.add_business(start, amount).unwrap();
        prop_assert!(end > start);
        prop_assert_eq!(cal.business_between(start, end), amount);
        // It ends while the calendar is open, never on a holiday or closed day.
        prop_assert!(is_open(&cal, end), "{end} is outside business hours");
    }

    #[test]
    fn business_time_adds_up_and_never_exceeds_wall_time(
        cal in calendar(), a in instant(), b in instant(), c in instant(),
    ) {
        let mut t = [a, b, c];
        t.sort();
        let ab = cal.business_between(t[0], t[1]);
        let bc = cal.business_between(t[1], t[2]);
        prop_assert_eq!(ab + bc, cal.business_between(t[0], t[2]));
        prop_assert!(ab <= t[1] - t[0]);
    }

    #[test]
    fn more_business_time_never_finishes_earlier(
        cal in calendar(), start in instant(), x in 0i64..5_000, y in 0i64..5_000,
    ) {
        let (lo, hi) = (x.min(y), x.max(y));
        let a = cal.add_business(start, Duration::minutes(lo)).unwrap();
        let b = cal.add_business(start, Duration::minutes(hi)).unwrap();
        prop_assert!(a <= b);
    }

    #[test]
    fn the_cutoff_rule_starts_at_an_opening_no_earlier_than_the_release(
        cal in calendar(), released in instant(),
    ) {
        let from = cal.counting_from(released).unwrap();
        prop_assert!(from >= released);
        if from > released {
            prop_assert!(is_open(&cal, from));
            prop_assert_eq!(cal.next_opening(from), Some(from));
        }
    }

    #[test]
    fn paused_business_time_is_not_counted(
        cal in calendar(), start in instant(), minutes in 1i64..10_000,
        pauses in proptest::collection::vec((0i64..20_000, 1i64..5_000), 0..4),
    ) {
        let mut spans: Vec<(DateTime<Utc>, Option<DateTime<Utc>>)> = pauses
            .iter()
            .map(|(off, len)| {
                let from = start + Duration::minutes(*off);
                (from, Some(from + Duration::minutes(*len)))
            })
            .collect();
        spans.sort();
        // Join overlaps the way the clock does before it calls `finish`.
        let mut joined: Vec<(DateTime<Utc>, Option<DateTime<Utc>>)> = Vec::new();
        for (from, until) in spans {
            match joined.last_mut() {
                Some(last) if from <= last.1.unwrap() => last.1 = last.1.max(until),
                _ => joined.push((from, until)),
            }
        }
        let target = Duration::minutes(minutes);
        let due = finish(&cal, start, target, &joined).unwrap();
        let paused: Duration = joined
            .iter()
            .map(|(f, u)| cal.business_between((*f).min(due), u.unwrap().min(due)))
            .fold(Duration::zero(), |a, b| a + b);
        prop_assert_eq!(cal.business_between(start, due) - paused, target);
    }
}

#[test]
fn a_calendar_draft_names_each_wrong_field() {
    let draft = calendar::CalendarDraft {
        scope: "moon".into(),
        code: "".into(),
        time_zone: "Mars/Olympus".into(),
        mon: "9-5".into(),
        tue: "17:00-08:00".into(),
        holidays: "2026-12-25, christmas".into(),
        cutoff: "25:00".into(),
        ..Default::default()
    };
    let errors = calendar::check_calendar(&draft).unwrap_err();
    for field in [
        "scope",
        "code",
        "time_zone",
        "mon",
        "tue",
        "holidays",
        "cutoff",
    ] {
        assert!(errors.0.contains_key(field), "{field} in {errors:?}");
    }
    let ok = calendar::check_calendar(&calendar::CalendarDraft {
        scope: "warehouse".into(),
        code: " RNO ".into(),
        time_zone: "America/Los_Angeles".into(),
        mon: "08:00-17:00".into(),
        fri: "08:00-24:00".into(),
        holidays: "2026-12-25\n2026-11-26 2026-12-25".into(),
        cutoff: "14:30".into(),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(ok.code, "RNO");
    assert_eq!(
        ok.week[4],
        Some(DayHours {
            open: 480,
            close: 1440
        })
    );
    assert_eq!(ok.holidays.len(), 2);
    assert_eq!(ok.cutoff, NaiveTime::from_hms_opt(14, 30, 0));
    assert_eq!(calendar::format_hours(ok.week[0]), "08:00-17:00");
}

/// A quotation (Odoo's draft) with a promised date, then what the ERP says next.
fn quotation_then(next: Option<(crate::domain::event::EventType, &str)>) -> SlaFacts {
    use crate::domain::event::EventType;
    use crate::domain::projection::{fold, FoldEvent};
    let event = |n: u128, t: EventType, at: &str, data: serde_json::Value| FoldEvent {
        event_id: uuid::Uuid::from_u128(n),
        identity: format!("1:{n}"),
        event_type: t,
        occurred_at: Some(utc(at)),
        data,
    };
    let mut events = vec![event(
        1,
        EventType::OrderCreated,
        "2026-11-24T14:00:00Z",
        serde_json::json!({"order": {"erp_order_id": "S1", "quotation": true},
                           "promises": {"deliver_by": "2026-11-26T00:00:00Z"},
                           "lines": [{"line_ref": "L1", "sku": "A", "qty_ordered": 1}]}),
    )];
    if let Some((t, at)) = next {
        events.push(event(
            2,
            t,
            at,
            serde_json::json!({"order": {"erp_order_id": "S1"}}),
        ));
    }
    let p = fold("S1", &events).projection.unwrap();
    facts(&p, None)
}

#[test]
fn a_quotation_starts_no_clock_and_counts_in_no_kpi_until_it_is_confirmed() {
    use crate::domain::event::EventType;
    let (wh, ca) = (warehouse(), carrier());
    let p = policy(1, 1, 0, "2026-01-01T00:00:00Z", None);
    let now = utc("2026-11-30T00:00:00Z");
    let draft = quotation_then(None);
    assert!(draft.quotation);
    let none = clocks(&draft, &p, cals(&wh, &ca), Observed::default(), now);
    assert!(none.is_empty(), "an offer promises nothing: {none:?}");
    let empty = crate::domain::projection::OrderProjection::default();
    assert_eq!(order_kpi(&empty, &draft, &none), None);

    let cancelled = quotation_then(Some((EventType::OrderCancelled, "2026-11-25T10:00:00Z")));
    assert!(cancelled.quotation && cancelled.cancelled);
    assert_eq!(
        order_kpi(&empty, &cancelled, &[]),
        None,
        "no trace in the KPIs"
    );

    let confirmed = quotation_then(Some((EventType::OrderConfirmed, "2026-11-25T10:00:00Z")));
    assert!(!confirmed.quotation);
    let running = clocks(&confirmed, &p, cals(&wh, &ca), Observed::default(), now);
    let release = running
        .iter()
        .find(|c| c.segment == Segment::Release)
        .unwrap();
    assert_eq!(
        release.started_at,
        utc("2026-11-25T10:00:00Z"),
        "from the confirmation"
    );
    assert!(order_kpi(&empty, &confirmed, &running).is_some());
}

/// A confirmed order released at 10:00, then what the warehouse says and when.
fn released_then(warehouse: &[(crate::domain::event::EventType, &str)]) -> SlaFacts {
    use crate::domain::event::EventType;
    use crate::domain::projection::{fold, FoldEvent};
    let order = serde_json::json!({"order": {"erp_order_id": "S2"},
                                   "lines": [{"line_ref": "L1", "sku": "A", "qty_ordered": 1}]});
    let mut events = vec![
        (
            EventType::OrderConfirmed,
            "2026-11-24T09:00:00Z",
            order.clone(),
        ),
        (
            EventType::OrderReleaseRequested,
            "2026-11-24T10:00:00Z",
            order.clone(),
        ),
    ];
    for (t, at) in warehouse {
        events.push((*t, at, serde_json::json!({"order": {"erp_order_id": "S2"}})));
    }
    let events: Vec<FoldEvent> = events
        .into_iter()
        .enumerate()
        .map(|(n, (t, at, data))| FoldEvent {
            event_id: uuid::Uuid::from_u128(n as u128 + 1),
            identity: format!("1:{n}"),
            event_type: t,
            occurred_at: Some(utc(at)),
            data,
        })
        .collect();
    facts(&fold("S2", &events).projection.unwrap(), None)
}

#[test]
fn the_release_segment_ends_when_the_warehouse_accepts_not_when_the_erp_asks() {
    use crate::domain::event::EventType;
    assert_eq!(
        released_then(&[]).released_at,
        None,
        "asked, not accepted: still running"
    );
    let acked = released_then(&[
        (EventType::OrderAcknowledged, "2026-11-24T10:40:00Z"),
        (EventType::OrderAllocated, "2026-11-24T11:00:00Z"),
    ]);
    assert_eq!(acked.released_at, Some(utc("2026-11-24T10:40:00Z")));
    // A warehouse that never acknowledges: its first word about the order accepts it.
    let silent = released_then(&[(EventType::OrderAllocated, "2026-11-24T12:15:00Z")]);
    assert_eq!(silent.released_at, Some(utc("2026-11-24T12:15:00Z")));
    let (wh, ca) = (warehouse(), carrier());
    let p = policy(1, 1, 0, "2026-01-01T00:00:00Z", None);
    let all = clocks(
        &silent,
        &p,
        cals(&wh, &ca),
        Observed::default(),
        utc("2026-11-30T00:00:00Z"),
    );
    let release = all.iter().find(|c| c.segment == Segment::Release).unwrap();
    assert_eq!(release.ended_at, Some(utc("2026-11-24T12:15:00Z")));
}

#[test]
fn one_short_line_is_one_case_filed_as_short() {
    use crate::domain::event::EventType;
    use crate::domain::projection::{fold, FoldEvent};
    let event = |n: u128, t: EventType, data: serde_json::Value| FoldEvent {
        event_id: uuid::Uuid::from_u128(n),
        identity: format!("1:{n}"),
        event_type: t,
        occurred_at: Some(utc("2026-11-24T14:00:00Z")),
        data,
    };
    let events = vec![
        event(
            1,
            EventType::OrderCreated,
            serde_json::json!({"order": {"erp_order_id": "S3"},
            "lines": [{"line_ref": "L1", "sku": "A", "qty_ordered": 2}]}),
        ),
        event(
            2,
            EventType::ShipmentDispatched,
            serde_json::json!({"order": {"erp_order_id": "S3"},
            "shipment": {"tracking_numbers": ["1Z3"]}, "is_final": true,
            "lines": [{"line_ref": "L1", "qty_shipped": 1, "line_status": "short"}]}),
        ),
    ];
    let p = fold("S3", &events).projection.unwrap();
    let cases = super::cases::case_facts(&p);
    assert_eq!(cases.len(), 1, "{cases:?}");
    assert_eq!(cases[0].category, "short");
}
