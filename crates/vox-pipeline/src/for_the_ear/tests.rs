use super::*;

fn said(text: &str) -> String {
    for_the_ear(text)
}

/// The same text given clause by clause, as a streamed answer gives it.
fn said_in_clauses(clauses: &[&str]) -> String {
    let mut ear = ForTheEar::default();
    let said: String = clauses.iter().map(|clause| ear.clause(clause)).collect();
    // Line breaks leave a space or two between clauses; the voice hears one pause.
    said.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn headings_become_sentences() {
    assert_eq!(
        said("# Golden retrievers\nThey are gentle."),
        "Golden retrievers. They are gentle."
    );
    assert_eq!(said("### Why they fit:\nPatience."), "Why they fit: Patience.");
}

#[test]
fn bullets_become_pauses() {
    assert_eq!(
        said("Good points:\n- Friendly\n* Loyal and calm\n+ Easy to train\n• Smart"),
        "Good points: Friendly. Loyal and calm. Easy to train. Smart."
    );
}

#[test]
fn numbered_items_are_not_read_as_numbers() {
    assert_eq!(
        said("Steps:\n\n1. Boil the water.\n2. Add the tea\n10) Wait"),
        "Steps: Boil the water. Add the tea. Wait."
    );
    // A number alone on its line is an answer, not a list.
    assert_eq!(said("1."), "1.");
}

#[test]
fn a_list_given_clause_by_clause_is_said_the_same() {
    let clauses = [
        "Here are tips:",
        "\n\n1. Choose the tea:",
        " black or green.\n",
        "2. Steep it\n",
        "- Enjoy\n",
    ];
    assert_eq!(
        said_in_clauses(&clauses),
        "Here are tips: Choose the tea: black or green. Steep it. Enjoy."
    );
    assert_eq!(said_in_clauses(&clauses), said(&clauses.concat()));
}

#[test]
fn emphasis_and_code_marks_vanish() {
    assert_eq!(
        said("**Yes!** Dogs are *really* `great`."),
        "Yes! Dogs are really great."
    );
    assert_eq!(
        said("__Bold__ and _soft_ and ~~gone~~"),
        "Bold and soft and gone."
    );
    assert_eq!(said("Call `get_weather` now."), "Call get weather now.");
}

#[test]
fn quotes_and_task_boxes_lose_their_marks() {
    assert_eq!(said("> Be kind.\n- [x] Walk the dog"), "Be kind. Walk the dog.");
}

#[test]
fn code_blocks_and_rules_are_not_read() {
    assert_eq!(
        said("Use this:\n```python\nprint('hi')\n```\n---\nThat prints hi."),
        "Use this: That prints hi."
    );
    let clauses = ["Use this:", "\n```\n", "x = [1, 2]\n", "```\n", "Done."];
    assert_eq!(said_in_clauses(&clauses), "Use this: Done.");
}

#[test]
fn tables_are_read_row_by_row() {
    assert_eq!(
        said("| Breed | Size |\n|---|:---:|\n| Poodle | Small |"),
        "Breed , Size. Poodle , Small."
    );
}

#[test]
fn links_keep_their_words_and_addresses_are_read_as_people_read_them() {
    assert_eq!(
        said("See [the guide](https://example.com/guide)."),
        "See the guide."
    );
    assert_eq!(
        said("Go to https://www.example.com/menu?x=1."),
        "Go to example dot com slash menu."
    );
    assert_eq!(said("Visit akc.org for more."), "Visit akc dot org for more.");
    assert_eq!(
        said("Write to help@vox.dev today"),
        "Write to help at vox dot dev today."
    );
    assert_eq!(said("Node.js, e.g. this"), "Node.js, e.g. this.");
    assert_eq!(said("![a dog](dog.png) Cute"), "a dog Cute.");
}

#[test]
fn emoji_are_dropped() {
    assert_eq!(said("Great choice! 🐶🎉 Have fun ☀️"), "Great choice! Have fun.");
    assert_eq!(said("Thumbs up 👍🏽 and ✅ done"), "Thumbs up and done.");
}

#[test]
fn symbols_with_a_spoken_form_get_it() {
    assert_eq!(said("Steep for 3-5 minutes."), "Steep for 3 to 5 minutes.");
    assert_eq!(
        said("Due 2024-07-04, call 555-1234."),
        "Due 2024-07-04, call 555-1234."
    );
    assert_eq!(said("It takes ~10 minutes"), "It takes about 10 minutes.");
    assert_eq!(said("Paris → London"), "Paris to London.");
    assert_eq!(said("We're #1 - really"), "We're number 1, really.");
    assert_eq!(said("3 * 4 is 12"), "3 times 4 is 12.");
    assert_eq!(said("Bring snacks and/or water"), "Bring snacks and or water.");
    assert_eq!(
        said("- 1/2 cup milk\n- ¾ cup flour"),
        "one half cup milk. three quarters cup flour."
    );
    assert_eq!(said("Open 24/7, 9/11 stays"), "Open 24 7, 9/11 stays.");
}

#[test]
fn plain_speech_is_left_alone() {
    let plain = "Yes, golden retrievers are great with kids. They're gentle, patient and loyal!";
    assert_eq!(said(plain), plain);
    let mut ear = ForTheEar::default();
    assert_eq!(ear.clause("Yes,"), "Yes,");
    assert_eq!(ear.clause(" they are"), " they are");
}
