//! Helpers for the team-sync tests: a fresh database on the throwaway
//! PostgreSQL that `.ci/run` (or `scripts/pg-test-server.sh`) starts, its
//! reviewer roles, clients (each its own SQLite file), and a TCP proxy that
//! can take the server away and bring it back.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::common::TestDb;

/// The superuser URL of the test server.
pub const PG_VAR: &str = "LIMFAC_TEST_PG";
/// Local convenience only: skip these tests when no server is running.
pub const SKIP_VAR: &str = "LIMFAC_SKIP_PG_TESTS";

/// The test server's superuser URL. Without one the test fails, saying how
/// to start one, unless `LIMFAC_SKIP_PG_TESTS=1` (never honoured in CI).
pub fn admin_url() -> Option<String> {
    if let Some(url) = std::env::var(PG_VAR).ok().filter(|v| !v.is_empty()) {
        return Some(url);
    }
    let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false");
    if !ci && std::env::var(SKIP_VAR).is_ok_and(|v| v == "1") {
        eprintln!("skipped: {PG_VAR} is not set and {SKIP_VAR}=1");
        return None;
    }
    panic!(
        "{PG_VAR} is not set: these tests need a PostgreSQL server.\n\
         Start a throwaway one with:  eval \"$(scripts/pg-test-server.sh start)\"\n\
         (and stop it with: scripts/pg-test-server.sh stop \"$LIMFAC_TEST_PG_DIR\"), or run .ci/run, which does both.\n\
         To skip these tests on your machine only: {SKIP_VAR}=1 cargo test"
    );
}

/// Host, port and superuser password of the test server.
pub struct Server {
    pub host: String,
    pub port: u16,
    pub password: String,
}

pub fn server(admin: &str) -> Server {
    let rest = admin.split_once("://").unwrap().1;
    let (userinfo, hostpart) = rest.split_once('@').unwrap();
    let password = userinfo.split_once(':').map(|(_, p)| p.to_string()).unwrap_or_default();
    let hostport = hostpart.split(['/', '?']).next().unwrap();
    let (host, port) = hostport.rsplit_once(':').unwrap();
    Server { host: host.to_string(), port: port.parse().unwrap(), password }
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A database of its own on the test server, with roles made for this test;
/// both dropped at the end.
pub struct Team {
    pub server: Server,
    pub db: String,
    /// Prefix of this test's role names.
    pub tag: String,
    roles: Mutex<Vec<String>>,
    /// Where the admin's `limfac remote init` ran.
    pub admin: TestDb,
}

impl Team {
    /// A new database with the limfac schema (made by `limfac remote init` as
    /// the superuser), or `None` when the tests are skipped.
    pub fn new() -> Option<Team> {
        let team = Team::empty()?;
        team.admin.run(&["remote", "init"]).ok();
        Some(team)
    }

    /// A new database without the limfac schema.
    pub fn empty() -> Option<Team> {
        let admin_url = admin_url()?;
        let server = server(&admin_url);
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
        let tag = format!("t{}_{n}_{}", std::process::id(), nanos % 100_000);
        let db = format!("limfac_{tag}");
        let mut c =
            postgres::Client::connect(&admin_url.replace("sslmode=require", "sslmode=disable"), postgres::NoTls)
                .expect("connect to the test server as its superuser");
        c.batch_execute(&format!("CREATE DATABASE {db}")).unwrap();
        let admin = TestDb::new();
        let team = Team { server, db, tag, roles: Mutex::new(Vec::new()), admin };
        let url = team.url("postgres", &team.server.password.clone());
        team.admin.cmd_env("LIMFAC_REMOTE", &url);
        Some(team)
    }

    /// A URL to this database as `user`.
    pub fn url(&self, user: &str, password: &str) -> String {
        format!("postgresql://{user}:{password}@{}:{}/{}?sslmode=disable", self.server.host, self.server.port, self.db)
    }

    /// A superuser connection to this database.
    pub fn admin_client(&self) -> postgres::Client {
        postgres::Client::connect(&self.url("postgres", &self.server.password), postgres::NoTls).unwrap()
    }

    /// Creates a login role `<tag>_<name>` in `group`; returns its name.
    pub fn role(&self, name: &str, group: &str) -> String {
        let role = format!("{}_{name}", self.tag);
        self.admin_client()
            .batch_execute(&format!("CREATE ROLE {role} LOGIN PASSWORD 'pw-{name}' IN ROLE {group}"))
            .unwrap();
        self.roles.lock().unwrap().push(role.clone());
        role
    }

    /// A client: its own SQLite file, syncing as a new reviewer role `name`.
    pub fn client(&self, name: &str) -> Client {
        let role = self.role(name, "limfac_reviewer");
        self.client_as(&role, &format!("pw-{name}"), self.server.port)
    }

    /// A client of an existing role, through `port` (the server's or a proxy's).
    pub fn client_as(&self, role: &str, password: &str, port: u16) -> Client {
        let db = TestDb::new();
        let url = format!(
            "postgresql://{role}:{password}@{}:{port}/{}?sslmode=disable&connect_timeout=2",
            self.server.host, self.db
        );
        db.cmd_env("LIMFAC_REMOTE", &url);
        Client { db, role: role.to_string() }
    }

    /// One number from the server, as the superuser.
    pub fn count(&self, sql: &str) -> i64 {
        self.admin_client().query_one(sql, &[]).unwrap().get(0)
    }
}

impl Drop for Team {
    fn drop(&mut self) {
        let Some(admin) = admin_url() else { return };
        if let Ok(mut c) = postgres::Client::connect(&admin, postgres::NoTls) {
            let _ = c.batch_execute(&format!(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{}' AND pid <> pg_backend_pid()",
                self.db
            ));
            let _ = c.batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.db));
            for r in self.roles.lock().unwrap().iter() {
                let _ = c.batch_execute(&format!("DROP ROLE IF EXISTS {r}"));
            }
        }
    }
}

/// A reviewer's laptop: a TestDb whose LIMFAC_REMOTE names the team server.
pub struct Client {
    pub db: TestDb,
    pub role: String,
}

impl std::ops::Deref for Client {
    type Target = TestDb;
    fn deref(&self) -> &TestDb {
        &self.db
    }
}

/// A TCP proxy in front of the server: `down()` cuts every connection and
/// refuses new ones (the server as clients see it when it is stopped or
/// unreachable); `up()` brings it back.
pub struct Proxy {
    pub port: u16,
    down: Arc<AtomicBool>,
    conns: Arc<Mutex<Vec<TcpStream>>>,
    stop: Arc<AtomicBool>,
}

impl Proxy {
    pub fn new(upstream_port: u16) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        listener.set_nonblocking(true).unwrap();
        let down = Arc::new(AtomicBool::new(false));
        let conns: Arc<Mutex<Vec<TcpStream>>> = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (d, c, s) = (down.clone(), conns.clone(), stop.clone());
        std::thread::spawn(move || {
            while !s.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((client, _)) => {
                        client.set_nonblocking(false).unwrap();
                        if d.load(Ordering::SeqCst) {
                            let _ = client.shutdown(Shutdown::Both);
                            continue;
                        }
                        let Ok(server) = TcpStream::connect(("127.0.0.1", upstream_port)) else {
                            continue;
                        };
                        c.lock().unwrap().extend([client.try_clone().unwrap(), server.try_clone().unwrap()]);
                        pump(client.try_clone().unwrap(), server.try_clone().unwrap());
                        pump(server, client);
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(2)),
                }
            }
        });
        Proxy { port, down, conns, stop }
    }

    pub fn down(&self) {
        self.down.store(true, Ordering::SeqCst);
        for c in self.conns.lock().unwrap().drain(..) {
            let _ = c.shutdown(Shutdown::Both);
        }
    }

    pub fn up(&self) {
        self.down.store(false, Ordering::SeqCst);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        self.down();
    }
}

fn pump(mut from: TcpStream, mut to: TcpStream) {
    std::thread::spawn(move || {
        let mut buf = [0u8; 64 * 1024];
        loop {
            match from.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if to.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
            }
        }
        let _ = to.shutdown(Shutdown::Both);
        let _ = from.shutdown(Shutdown::Both);
    });
}
