use super::*;

#[test]
fn states_read_back_from_their_names_and_rows() {
    for s in JobState::ALL {
        assert_eq!(s.as_str().parse::<JobState>(), Ok(s));
    }
    assert!("zombie".parse::<JobState>().is_err());
    assert_eq!(JobState::of("Failed", 5, 5, true), JobState::Dead);
    assert_eq!(JobState::of("Failed", 1, 5, true), JobState::Retrying);
    assert_eq!(JobState::of("Failed", 1, 5, false), JobState::Scheduled);
    assert_eq!(JobState::of("Pending", 0, 5, true), JobState::Pending);
    assert_eq!(JobState::of("Queued", 0, 5, true), JobState::Running);
    assert_eq!(JobState::of("Killed", 1, 5, true), JobState::Dead);
    assert_eq!(JobState::of("Done", 1, 5, false), JobState::Done);
}
