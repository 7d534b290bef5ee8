//! A generated 2,000-question XForm for the benchmarks: 40 groups of 50 integer questions with relevance and a total per group.

/// Questions in the generated form for the resume benchmark.
pub const RESUME_QUESTIONS: usize = 2_000;

/// A generated XForm: 40 groups of 50 integer questions, each after the first
/// relevant on its predecessor, with a running-total calculation per group.
pub fn big_form() -> String {
    let (mut data, mut binds, mut body) = (String::new(), String::new(), String::new());
    for g in 0..RESUME_QUESTIONS / 50 {
        data.push_str(&format!("<g{g}>"));
        body.push_str(&format!(
            "<group ref=\"/data/g{g}\"><label>Section {g}</label>"
        ));
        for q in 0..50 {
            let name = format!("q{g}_{q}");
            data.push_str(&format!("<{name}/>"));
            let relevant = if q == 0 {
                String::new()
            } else {
                format!(" relevant=\"/data/g{g}/q{g}_{} != 99\"", q - 1)
            };
            binds.push_str(&format!(
                "<bind nodeset=\"/data/g{g}/{name}\" type=\"int\"{relevant} constraint=\". &lt; 1000\"/>"
            ));
            body.push_str(&format!(
                "<input ref=\"/data/g{g}/{name}\"><label>Question {g}.{q}</label></input>"
            ));
        }
        data.push_str(&format!("<total{g}/></g{g}>"));
        binds.push_str(&format!(
            "<bind nodeset=\"/data/g{g}/total{g}\" type=\"int\" calculate=\"sum(../*[starts-with(name(), 'q')])\"/>"
        ));
        body.push_str("</group>");
    }
    format!(
        r#"<?xml version="1.0"?>
<h:html xmlns="http://www.w3.org/2002/xforms" xmlns:h="http://www.w3.org/1999/xhtml" xmlns:jr="http://openrosa.org/javarosa">
<h:head><h:title>Resume bench</h:title><model>
<instance><data id="resume_bench" version="1">{data}<meta><instanceID/></meta></data></instance>
{binds}<bind nodeset="/data/meta/instanceID" type="string" readonly="true()" jr:preload="uid"/>
</model></h:head><h:body>{body}</h:body></h:html>"#
    )
}
