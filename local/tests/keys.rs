//! `adgen keys create`: the key is printed once and only its hash is stored, in the embedded
//! store or (with `--aws`) in DynamoDB — here DynamoDB Local, started by scripts/test.sh —
//! with the table named outright, by a deployed stack's outputs (moto's CloudFormation) or by
//! `ADGEN_TABLE`, and never in a region nobody named.

mod support;

use adgen::auth::{KeyState, hash_key};
use adgen::ports::ApiKeyStore;
use adgen_aws as aws;
use adgen_embedded::Embedded;
use support::{TempDir, path_arg, run_cli, run_cli_env};
use uuid::Uuid;

/// `adgen keys create <args>` (bounded, see [`run_cli`]): the key it printed.
fn create_key(args: &[&str], envs: &[(&str, &str)]) -> String {
    let args: Vec<&str> = ["keys", "create"].iter().chain(args).copied().collect();
    let key = run_cli(&args, envs).trim().to_owned();
    assert!(key.starts_with("sk_live_"), "{key}");
    key
}

async fn assert_stored(store: &dyn ApiKeyStore, key: &str, org: Uuid) {
    let record = store
        .get(&hash_key(key))
        .await
        .expect("read")
        .expect("the key's hash is stored");
    assert_eq!((record.org_id, record.state), (org, KeyState::Active));
}

#[tokio::test]
async fn embedded_store() {
    // A data folder that does not exist yet, as on a first run; removed with `root`.
    let root = TempDir::new("keys");
    let dir = root.path().join("data");
    let org = Uuid::new_v4();
    let key = create_key(
        &["--org", &org.to_string(), "--data-dir", path_arg(&dir)],
        &[],
    );
    let store = Embedded::open(&dir).expect("open").store;
    assert_stored(store.as_ref(), &key, org).await;
}

#[tokio::test]
async fn dynamodb_with_aws_flag() {
    let endpoint = std::env::var("ADGEN_DYNAMODB_ENDPOINT")
        .expect("ADGEN_DYNAMODB_ENDPOINT is not set: run the tests with scripts/test.sh");
    let conf = aws::sdk_config(aws::DEFAULT_REGION).await;
    let client = aws::dynamodb_client(&conf, Some(&endpoint));
    let table = format!("adgen-keys-{}", Uuid::new_v4().simple());
    aws::create_table(&client, &table).await.expect("table");
    let org = Uuid::new_v4();
    let key = create_key(
        &["--org", &org.to_string(), "--aws"],
        &[("ADGEN_TABLE", &table)],
    );
    assert_stored(&aws::DynamoStore::new(client, table), &key, org).await;
}

#[tokio::test]
async fn dynamodb_table_from_a_stack_and_no_region_guessed() {
    let endpoint = std::env::var("ADGEN_DYNAMODB_ENDPOINT")
        .expect("ADGEN_DYNAMODB_ENDPOINT is not set: run the tests with scripts/test.sh");
    let moto = std::env::var("ADGEN_SQS_ENDPOINT").expect("moto's endpoint");
    let conf = aws::sdk_config(aws::DEFAULT_REGION).await;
    let client = aws::dynamodb_client(&conf, Some(&endpoint));
    let table = format!("adgen-keys-{}", Uuid::new_v4().simple());
    aws::create_table(&client, &table).await.expect("table");

    // A stack as `sam deploy` leaves it: the table's name among its outputs.
    let stack = format!("adgen-{}", Uuid::new_v4().simple());
    let template = serde_json::json!({
        "Resources": {"Marker": {"Type": "AWS::SQS::Queue"}},
        "Outputs": {"TableName": {"Value": table}, "Region": {"Value": "us-east-1"}}
    });
    aws::stacks::cloudformation_client(&conf, Some(&moto))
        .create_stack()
        .stack_name(&stack)
        .template_body(template.to_string())
        .send()
        .await
        .expect("stack created on moto");
    let org = Uuid::new_v4();
    let key = create_key(
        &["--org", &org.to_string(), "--aws", "--stack", &stack],
        &[("ADGEN_CLOUDFORMATION_ENDPOINT", &moto)],
    );
    assert_stored(
        &aws::DynamoStore::new(client.clone(), table.clone()),
        &key,
        org,
    )
    .await;

    // --table and --region outright; nothing from the environment.
    let org = Uuid::new_v4();
    let key = create_key(
        &[
            "--org",
            &org.to_string(),
            "--aws",
            "--table",
            &table,
            "--region",
            "us-east-1",
        ],
        &[],
    );
    assert_stored(&aws::DynamoStore::new(client, table.clone()), &key, org).await;

    // No region anywhere: refused with what to do, not written to us-east-1.
    let run = run_cli_env(
        &[
            "keys",
            "create",
            "--org",
            &org.to_string(),
            "--aws",
            "--table",
            &table,
        ],
        &[
            ("AWS_CONFIG_FILE", "/nonexistent"),
            ("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent"),
        ],
        &["AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE"],
        std::time::Duration::from_secs(20),
    );
    assert_ne!(run.code, Some(0), "{run:#?}");
    assert!(run.stderr.contains("no AWS region"), "{run:#?}");
    assert!(run.stdout.is_empty(), "no key printed: {run:#?}");

    // A stack without the output names the problem.
    let run = run_cli_env(
        &[
            "keys",
            "create",
            "--org",
            &org.to_string(),
            "--aws",
            "--stack",
            "no-such-stack",
        ],
        &[("ADGEN_CLOUDFORMATION_ENDPOINT", &moto)],
        &[],
        std::time::Duration::from_secs(20),
    );
    assert_ne!(run.code, Some(0), "{run:#?}");
    assert!(run.stderr.contains("no-such-stack"), "{run:#?}");
}
