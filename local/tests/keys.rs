//! `adgen keys create`: the key is printed once and only its hash is stored, in the embedded
//! store or (with `--aws`) in DynamoDB — here DynamoDB Local, started by scripts/test.sh.

mod support;

use adgen::auth::{KeyState, hash_key};
use adgen::ports::ApiKeyStore;
use adgen_aws as aws;
use adgen_embedded::Embedded;
use support::{TempDir, path_arg, run_cli};
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
