//! Every JSON body and query string a route parses: never a panic, and every refusal of a body
//! names the field (`param`) of each of its issues; what is accepted keeps the contract's limits.
#![no_main]

use adgen::contract::brand::{BrandRequest, ExtractRequest, ListQuery};
use adgen::contract::generation::{BodyError, GenerationRequest};
use adgen::contract::job_query::JobQuery;
use adgen::contract::webhook::{CreateWebhook, UpdateWebhook};
use adgen::contract::Issue;
use libfuzzer_sys::fuzz_target;

fn named(issues: &[Issue]) {
    assert!(!issues.is_empty(), "a refusal lists its issues");
    for issue in issues {
        assert!(!issue.param.is_empty(), "issue without a param: {issue:?}");
        assert!(!issue.message.is_empty());
    }
}

fn refusal<T>(result: Result<T, BodyError>) -> Option<T> {
    match result {
        Ok(value) => Some(value),
        Err(BodyError::Invalid(issues)) => {
            named(&issues);
            None
        }
        Err(BodyError::Json(text)) => {
            assert!(!text.is_empty());
            None
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let loopback = selector & 0x80 != 0;
    match selector % 7 {
        0 => {
            if let Some(request) = refusal(GenerationRequest::parse_with(body, loopback)) {
                let chars = request.prompt.chars().count();
                assert!((1..=5000).contains(&chars), "prompt of {chars} characters accepted");
                assert_eq!(adgen::contract::text::trim(&request.prompt), request.prompt);
                assert!(request.reference_images.len() <= 6);
            }
        }
        1 => {
            refusal(BrandRequest::parse(body));
        }
        2 => {
            refusal(ExtractRequest::parse(body, loopback));
        }
        3 => {
            refusal(CreateWebhook::parse(body, loopback));
        }
        4 => {
            refusal(UpdateWebhook::parse(body));
        }
        5 => {
            if let Ok(text) = std::str::from_utf8(body)
                && let Err(issues) = ListQuery::parse(Some(text))
            {
                named(&issues);
            }
        }
        _ => {
            if let Ok(text) = std::str::from_utf8(body)
                && let Err(e) = JobQuery::parse(Some(text))
            {
                assert!(!e.issue.param.is_empty());
            }
        }
    }
});
