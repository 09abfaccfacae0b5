// core/secrets: token patterns (each positive and negative), entropy, placeholders, masking, secret-like
// names and sensitive-file globs.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  BUILTIN_PATTERNS,
  BUILTIN_FALLBACK_PATTERNS,
  SensitiveFiles,
  findSecrets,
  isPlaceholder,
  isSecretAssignmentName,
  isSecretName,
  looksRandom,
  maskSecret,
  nameWords,
  secretIdFor,
  secretPatterns,
  shannonEntropy,
} from '../../server/src/core/secrets.ts';

const ALL = secretPatterns();

/** The pattern ids found in `text`, with the token each one reports. */
function found(text: string, patterns = ALL): Array<[string, string]> {
  return findSecrets(text, patterns).map((m) => [m.patternId, m.value]);
}

// Fake tokens: the right shape, random bodies, never issued by anyone.
const T = {
  ghp: 'ghp_D1B0tz6ntJQjLns6euyts16OLM0ZPSfc98mv',
  ghs: 'ghs_ZhR8QZxex99KS9msmuex5TxTJdv4UhlkICZY',
  pat: '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',
  glpat: 'glpat-QRSdzY3acKfS2dZgvCYo',
  npm: 'npm_moX98H7ZIeUVTj08VCc8TqL19KSXjS4wnoc7',
  slack: 'xoxb-9518032047-9312650439729-81ATgZf39mnaRPIVRfB6lSHh',
  webhook: 'https://hooks.slack.com/services/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',
  stripe: 'sk_live_JKbD9RQaigvlcIWZKjLQPGVljDV0mNaA3I',
  google: 'AIzaOpa43cxqgfoAP0MOUm8OVTWiRD2bNAvrJRz',
  akia: 'AKIAQE6VAU44YNZVMIQF',
  awsSecret: '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',
  keyBody: 'hwdnGmhD0XN1AJ4g7OSo7oK8/f4B17vlTUobNEpMWrvqS3HtX/iQLR+WXeXI+j2R',
};
const PRIVATE_KEY = `-----BEGIN RSA PRIVATE KEY-----\n${T.keyBody}\nDBLSvD7y0uFqmlFVL8Cl0mtFOYIo0tBNnpCi8Ey053EJ58QUyC7Hiu0WBdae31j0\n-----END RSA PRIVATE KEY-----`;

describe('built-in token patterns', () => {
  const ids = [...BUILTIN_PATTERNS, ...BUILTIN_FALLBACK_PATTERNS].map((p) => p.id);

  test('every built-in pattern is exercised below', () => {
    assert.deepEqual(ids, [
      'private-key', 'aws-access-key-id', 'aws-secret-access-key', 'github-token', 'github-fine-grained-token', 'gitlab-token',
      'npm-token', 'slack-token', 'slack-webhook', 'stripe-live-key', 'google-api-key', 'url-password', 'authorization-header', 'generic-secret',
    ]);
  });

  test('private-key: a whole BEGIN..END block; a key without END when base64 follows; not a bare marker', () => {
    assert.deepEqual(found(`echo '${PRIVATE_KEY}' > /k`), [['private-key', PRIVATE_KEY]]);
    assert.deepEqual(found(`-----BEGIN OPENSSH PRIVATE KEY-----\\n${T.keyBody}" > k`).map((x) => x[0]), ['private-key']);
    assert.deepEqual(found('-----BEGIN PGP PRIVATE KEY BLOCK-----\n' + T.keyBody + '\n-----END PGP PRIVATE KEY BLOCK-----').map((x) => x[0]), ['private-key']);
    assert.deepEqual(found('grep -q -- "-----BEGIN RSA PRIVATE KEY-----" /etc/key.pem'), []);
    assert.deepEqual(found('-----BEGIN PUBLIC KEY-----\n' + T.keyBody + '\n-----END PUBLIC KEY-----'), []);
  });

  test('aws-access-key-id: AKIA/ASIA + 16; not the documented example, not longer words', () => {
    assert.deepEqual(found(`aws configure set aws_access_key_id ${T.akia}`), [['aws-access-key-id', T.akia]]);
    assert.deepEqual(found('id=ASIAUGRNN7SKDF7DQ5LQ'), [['aws-access-key-id', 'ASIAUGRNN7SKDF7DQ5LQ']]);
    assert.deepEqual(found('AKIAIOSFODNN7EXAMPLE'), []);
    assert.deepEqual(found(`X${T.akia}`), []);
    assert.deepEqual(found('AKIAQE6VAU44YNZVMIQ'), []);
  });

  test('aws-secret-access-key: 40 characters in an assignment only', () => {
    assert.deepEqual(found(`AWS_SECRET_ACCESS_KEY=${T.awsSecret}`), [['aws-secret-access-key', T.awsSecret]]);
    assert.deepEqual(found(`aws configure set aws_secret_access_key ${T.awsSecret}`), [['aws-secret-access-key', T.awsSecret]]);
    assert.deepEqual(found(`"SecretAccessKey": "${T.awsSecret}"`), [['aws-secret-access-key', T.awsSecret]]);
    assert.deepEqual(found(`echo ${T.awsSecret}`), []);
    assert.deepEqual(found('aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'), []);
    assert.deepEqual(found('AWS_SECRET_ACCESS_KEY=$AWS_SECRET_ACCESS_KEY'), []);
  });

  test('github-token and github-fine-grained-token', () => {
    assert.deepEqual(found(`git clone https://${T.ghp}@github.com/a/b`), [['github-token', T.ghp]]);
    assert.deepEqual(found(`GH_TOKEN=${T.ghs}`), [['github-token', T.ghs]]);
    assert.deepEqual(found(`GH_TOKEN=${T.pat}`), [['github-fine-grained-token', T.pat]]);
    assert.deepEqual(found('ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'), []);
    assert.deepEqual(found('ghp_abc123'), []);
    assert.deepEqual(found(`xghp_${T.ghp.slice(4)}`), []);
  });

  test('gitlab-token', () => {
    assert.deepEqual(found(`-H "PRIVATE-TOKEN: ${T.glpat}"`), [['gitlab-token', T.glpat]]);
    assert.deepEqual(found('glpat-short'), []);
  });

  test('npm-token', () => {
    assert.deepEqual(found(`//registry.npmjs.org/:_authToken=${T.npm}`), [['npm-token', T.npm]]);
    assert.deepEqual(found('npm_config_cache=/tmp/npm-cache-folder-for-ci'), []);
  });

  test('slack-token and slack-webhook', () => {
    assert.deepEqual(found(`-H "Authorization: Bearer ${T.slack}"`), [['slack-token', T.slack]]);
    assert.deepEqual(found(`curl -d x ${T.webhook}`), [['slack-webhook', T.webhook]]);
    assert.deepEqual(found('xoxb-123'), []);
    assert.deepEqual(found('https://hooks.slack.com/services/'), []);
  });

  test('stripe-live-key: sk_live_ and rk_live_, never publishable or test keys', () => {
    assert.deepEqual(found(`STRIPE_KEY=${T.stripe}`), [['stripe-live-key', T.stripe]]);
    assert.deepEqual(found('pk_live_51HqLyjWDarjtT1zdp7dcJKbD9RQ'), []);
    assert.deepEqual(found('echo sk_test_JKbD9RQaigvlcIWZKjLQPGVljDV0'), []);
  });

  test('google-api-key', () => {
    assert.deepEqual(found(`key=${T.google}`), [['google-api-key', T.google]]);
    assert.deepEqual(found('AIzaShort'), []);
  });

  test('url-password: literal passwords only', () => {
    assert.deepEqual(found('git clone https://ci-bot:SAFExD41zOmu@git.example.com/a.git'), [['url-password', 'https://ci-bot:SAFExD41zOmu@git.example.com']]);
    assert.deepEqual(found('postgres://app:Nq7Wz3Kx9Lm2@db:5432/app'), [['url-password', 'postgres://app:Nq7Wz3Kx9Lm2@db']]);
    assert.deepEqual(found('https://x-access-token:${GITHUB_TOKEN}@github.com/a'), []);
    assert.deepEqual(found('https://deploy:$DEPLOY_PASSWORD@git.example.com/a'), []);
    assert.deepEqual(found('https://user:password@example.com/'), []);
    assert.deepEqual(found('https://user:<password>@example.com/'), []);
    assert.deepEqual(found('https://example.com:8443/path'), []);
    assert.deepEqual(found('git@github.com:acme/app.git'), []);
    // A token in the URL is the token's finding, not a second one for the URL.
    assert.deepEqual(found(`https://oauth2:${T.glpat}@gitlab.example.com/a.git`), [['gitlab-token', T.glpat]]);
  });

  test('authorization-header: Basic, Bearer and token with literal values', () => {
    assert.deepEqual(found('-H "Authorization: Basic ZGVwbG95OnRZTE5sR2hC"'), [['authorization-header', 'ZGVwbG95OnRZTE5sR2hC']]);
    assert.deepEqual(found("--header 'authorization: bearer eyJhbGciOiJIUzI1NiJ9.e30.sig'"), [['authorization-header', 'eyJhbGciOiJIUzI1NiJ9.e30.sig']]);
    assert.deepEqual(found('--header="Authorization: token 9a9f128c18640192c04c6f0ce2bdd0f12f4714ae"'), [['authorization-header', '9a9f128c18640192c04c6f0ce2bdd0f12f4714ae']]);
    assert.deepEqual(found('-H "Authorization: Bearer $TOKEN"'), []);
    assert.deepEqual(found('-H "Authorization: Bearer ${TOKEN}"'), []);
    assert.deepEqual(found('-H "Authorization: Bearer $(cat /run/secrets/token)"'), []);
    assert.deepEqual(found('-H "Authorization: Bearer <token>"'), []);
    assert.deepEqual(found('-H "Authorization: Bearer abc"'), []);
  });

  test('generic-secret: secret-like names with random-looking literal values', () => {
    assert.deepEqual(found('DB_PASSWORD=Sup3rS3cret!'), [['generic-secret', 'Sup3rS3cret!']]);
    assert.deepEqual(found('password = 1Vie6D0AwHk7QbqD'), [['generic-secret', '1Vie6D0AwHk7QbqD']]);
    assert.deepEqual(found('{"api_key": "Tq8Zw2Lx5Vn9Bc4M"}'), [['generic-secret', 'Tq8Zw2Lx5Vn9Bc4M']]);
    assert.deepEqual(found('mysql --password=Zq8wX2vB7nM4 -e "select 1"'), [['generic-secret', 'Zq8wX2vB7nM4']]);
    assert.deepEqual(found("dotnet nuget add source x --password 'Wq4Lz9Xv2Nm7Kp3R'"), [['generic-secret', 'Wq4Lz9Xv2Nm7Kp3R']]);
    assert.deepEqual(found('New-Thing -Password Wq4Lz9Xv2Nm7'), [['generic-secret', 'Wq4Lz9Xv2Nm7']]);
    assert.deepEqual(found('//registry.npmjs.org/:_authToken=8b1c4e7f2a9d6035b1c4e7f2'), [['generic-secret', '8b1c4e7f2a9d6035b1c4e7f2']]);
    // Not literals, too short, placeholders, paths, plain words, non-secret names, code.
    for (const text of [
      'DB_PASSWORD=$DB_PASSWORD', 'DB_PASSWORD=${DB_PASSWORD:-x}', 'TOKEN=$(cat /run/secrets/token)', 'password=abc123',
      'password=changeme', 'api_key=<your-api-key>', 'token=xxxxxxxxxxxxxxxx', 'secret=your_secret_here', 'password=example-password1',
      'credentials=/run/secrets/creds.json', 'CLIENT_SECRET=./secrets/client', 'API_KEY=disabled', 'SECRET=development',
      'PASSWORD_FILE=Sup3rS3cret!', 'DB_HOST=Sup3rS3cret!', 'sed -i "s/password=.*/password=x/" f', '--password-stdin Sup3rS3cret!',
      '--aes-pwd proxy-secret', 'CACHE_KEY=Sup3rS3cret!', 'gpg --recv-keys 7169605F62C751356D054A26A821E680E5FA6305',
    ]) assert.deepEqual(found(text), [], text);
  });

  test('allowedNames exempt a name from the generic pattern, not a token from its own pattern', () => {
    const opts = { allowedNames: ['DB_*'] };
    assert.deepEqual(findSecrets('DB_PASSWORD=Sup3rS3cret!', ALL, opts), []);
    assert.equal(findSecrets(`DB_TOKEN=${T.ghp}`, ALL, opts)[0]?.patternId, 'github-token');
  });

  test('policy patterns: the whole match, or the named group `secret`; ordered before the fallback patterns', () => {
    const patterns = secretPatterns([
      { id: 'acme-token', description: 'ACME token', regex: 'acme_[a-z0-9]{32}' },
      { id: 'acme-license', description: 'ACME license', regex: 'X-Acme-License: (?<secret>[A-Z0-9-]{20,})' },
      { id: 'broken', description: 'invalid regex is skipped', regex: '(' },
      { id: 'empty', description: 'empty matches are skipped', regex: 'x*' },
    ]);
    assert.deepEqual(found('API_TOKEN=acme_019ni34oyeh9lhshr3ax8zyx3pr7vgfe', patterns), [['policy:acme-token', 'acme_019ni34oyeh9lhshr3ax8zyx3pr7vgfe']]);
    assert.deepEqual(found('-H "X-Acme-License: 7QK2-9XW4-M3ZP-8LTR-5VHN"', patterns), [['policy:acme-license', '7QK2-9XW4-M3ZP-8LTR-5VHN']]);
  });

  test('one match per token: overlapping matches resolve to the most specific pattern', () => {
    const ms = findSecrets(`GITHUB_TOKEN=${T.ghp} NPM_TOKEN=${T.npm}`, ALL);
    assert.deepEqual(ms.map((m) => m.patternId), ['github-token', 'npm-token']);
    assert.deepEqual(ms.map((m) => [m.start, m.end]), [[13, 53], [64, 104]]);
  });
});

describe('entropy and placeholders', () => {
  test('shannonEntropy in bits per character', () => {
    assert.equal(shannonEntropy(''), 0);
    assert.equal(shannonEntropy('aaaa'), 0);
    assert.equal(shannonEntropy('abab'), 1);
    assert.equal(shannonEntropy('abcdefgh'), 3);
    assert.ok(Math.abs(shannonEntropy('postgres') - 2.75) < 1e-9);
    assert.ok(shannonEntropy(T.ghp) > 4.5);
  });

  test('looksRandom: 8+ characters, 3.0 bits, two classes or 16+ characters', () => {
    assert.ok(looksRandom('Sup3rS3cret!'));
    assert.ok(looksRandom('1Vie6D0AwHk7QbqD'));
    assert.ok(looksRandom('correcthorsebatterystaple'));
    assert.ok(!looksRandom('postgres'));
    assert.ok(!looksRandom('disabled'));
    assert.ok(!looksRandom('development'));
    assert.ok(!looksRandom('Ab1!xyz'));
  });

  test('isPlaceholder', () => {
    for (const v of ['changeme', 'CHANGE_ME', 'xxx', 'XXXXXXXX', '<token>', '{{ .Token }}', '%PASSWORD%', 'your_token_here', 'example', 'my-example-key', '********', 'password', 'aaaaaaaa', 'REPLACE_ME', 'dummy'])
      assert.ok(isPlaceholder(v), v);
    for (const v of ['Sup3rS3cret!', T.ghp, 'hunter22']) assert.ok(!isPlaceholder(v), v);
  });
});

describe('masking', () => {
  /** No run of 6 characters of the secret (after the public prefix) is left in the masked text. */
  function assertMasked(secret: string, masked: string, prefix = 0) {
    const hidden = secret.slice(prefix);
    for (let i = 0; i + 6 <= hidden.length; i++) assert.ok(!masked.includes(hidden.slice(i, i + 6)), `${masked} keeps ${hidden.slice(i, i + 6)}`);
    assert.ok(masked.includes('****'));
  }

  test('known prefixes are kept, the rest is ****', () => {
    assert.equal(maskSecret(T.ghp), 'ghp_****');
    assert.equal(maskSecret(T.pat), 'github_pat_****');
    assert.equal(maskSecret(T.glpat), 'glpat-****');
    assert.equal(maskSecret(T.npm), 'npm_****');
    assert.equal(maskSecret(T.slack), 'xoxb-****');
    assert.equal(maskSecret(T.stripe), 'sk_live_****');
    assert.equal(maskSecret(T.google), 'AIza****');
    assert.equal(maskSecret(T.akia), 'AKIA****');
    assert.equal(maskSecret(T.webhook), 'https://hooks.slack.com/services/****');
    for (const [secret, prefix] of [[T.ghp, 4], [T.pat, 11], [T.glpat, 6], [T.npm, 4], [T.slack, 5], [T.stripe, 8], [T.google, 4], [T.akia, 4], [T.webhook, 33]] as const)
      assertMasked(secret, maskSecret(secret), prefix);
  });

  test('anything else is **** entirely, however short', () => {
    for (const s of [T.awsSecret, 'Sup3rS3cret!', 'abc', '', 'ZGVwbG95OnRZTE5sR2hC']) {
      assert.equal(maskSecret(s), '****');
      assertMasked(s, maskSecret(s));
    }
    // A known prefix with a short tail reveals nothing either.
    assert.equal(maskSecret('ghp_abc'), '****');
  });

  test('URLs keep scheme, user and host; a token-like user is masked too', () => {
    assert.equal(maskSecret('https://ci-bot:SAFExD41zOmu@git.example.com'), 'https://ci-bot:****@git.example.com');
    assertMasked('SAFExD41zOmu', maskSecret('https://ci-bot:SAFExD41zOmu@git.example.com'));
    assert.equal(maskSecret('https://8b1c4e7f2a9d6035b1c4e7f2a9d60351:x-oauth-basic@github.com'), 'https://****:****@github.com');
  });

  test('private keys show only the BEGIN line', () => {
    assert.equal(maskSecret(PRIVATE_KEY), '-----BEGIN RSA PRIVATE KEY----- ****');
    assertMasked(T.keyBody, maskSecret(PRIVATE_KEY));
    assert.equal(maskSecret('-----BEGIN PGP PRIVATE KEY BLOCK-----\nabc'), '-----BEGIN PGP PRIVATE KEY BLOCK----- ****');
  });
});

describe('secret-like names', () => {
  test('nameWords splits on _, -, . and camelCase', () => {
    assert.deepEqual(nameWords('npmAuthToken'), ['npm', 'auth', 'token']);
    assert.deepEqual(nameWords('APIKey'), ['api', 'key']);
    assert.deepEqual(nameWords('AWS_SECRET_ACCESS_KEY'), ['aws', 'secret', 'access', 'key']);
    assert.deepEqual(nameWords('_authToken'), ['auth', 'token']);
    assert.deepEqual(nameWords('com.acme.deploy-token'), ['com', 'acme', 'deploy', 'token']);
    assert.deepEqual(nameWords('S3Key'), ['s3', 'key']);
  });

  test('isSecretName (PL401): BuildKit words, qualifiers after them, public words anywhere', () => {
    for (const n of ['GITHUB_TOKEN', 'DB_PASSWORD', 'npmAuthToken', 'API_KEY', 'APIKEY', 'SECRET_KEY_BASE', 'AWS_SECRET_ACCESS_KEY', 'SSH_PRIVATE_KEY', 'MAIL_PASS', 'NPMTOKEN', 'DBPASSWORD', 'DB_PWD', 'GF_AUTH_ANONYMOUS_ORG_ROLE', 'HOST_PASSWORD', 'CREDENTIALS', 'GPG_PRIVATE_KEY', 'KEY'])
      assert.ok(isSecretName(n), n);
    for (const n of ['TOKEN_URL', 'PASSWORD_FILE', 'POSTGRES_PASSWORD_FILE', 'AWS_ACCESS_KEY_ID', 'PUBLIC_KEY', 'GPG_KEY', 'GPG_KEYS', 'KEYCLOAK_VERSION', 'TOKENIZERS_PARALLELISM', 'AUTH0_DOMAIN', 'MONKEY', 'PWD', 'SECRET_NAME', 'AUTH_TYPE', 'USE_GKE_GCLOUD_AUTH_PLUGIN', 'NODE_ENV'])
      assert.ok(!isSecretName(n), n);
  });

  test('allowedNames: case-insensitive globs over the whole name', () => {
    assert.ok(!isSecretName('PUBLIC_KEY_URL_X_TOKEN', ['public_key_url*']));
    assert.ok(!isSecretName('GF_AUTH_ANONYMOUS_ORG_ROLE', ['gf_auth_*']));
    assert.ok(!isSecretName('build_cache_key', ['*_CACHE_KEY']));
    assert.ok(isSecretName('BUILD_CACHE_KEY', ['CACHE_KEY']));
    assert.ok(!isSecretAssignmentName('DB_PASSWORD', ['db_*']));
  });

  test('isSecretAssignmentName (generic pattern): the last word names the secret', () => {
    for (const n of ['password', 'DB_PASSWORD', 'api_key', 'secret_key', 'license_key', '_auth', '_authToken', 'client-secret', 'DB_PASS', 'aes-pwd'])
      assert.ok(isSecretAssignmentName(n), n);
    for (const n of ['key', 'cache_key', 'recv-keys', 'password-stdin', 'token_url', 'PASSWORD_FILE', 'public_key', 'pwd', 'keys'])
      assert.ok(!isSecretAssignmentName(n), n);
  });

  test('secretIdFor is lower-kebab', () => {
    assert.equal(secretIdFor('GITHUB_TOKEN'), 'github-token');
    assert.equal(secretIdFor('npmAuthToken'), 'npm-auth-token');
  });
});

describe('sensitive files', () => {
  const s = new SensitiveFiles(['secrets/**', '*.sqlite', '/config/prod.yaml']);
  const m = (p: string) => {
    const h = s.match(p);
    return h ? `${h.kind}:${h.path}` : undefined;
  };

  test('built-in globs, at any depth', () => {
    for (const p of ['.env', 'app/.env', '.env.production', '.env.local', 'id_rsa', 'home/.ssh/id_ed25519', 'certs/server.pem', 'tls.key', 'a.p12', 'b.pfx', 'c.jks', 'd.keystore', '.npmrc', '.pypirc', '.netrc', '.git-credentials', '.aws/credentials', 'home/.aws/credentials', '.docker/config.json', 'infra/terraform.tfstate', 'terraform.tfstate.backup', '.htpasswd', 'credentials.json', '.ssh/deploy'])
      assert.equal(m(p), `file:${p}`, p);
  });

  test('near misses are not sensitive', () => {
    for (const p of ['.env.example', '.env.sample', '.env.template', '.env.dist', 'app/.env.example', 'id_rsa.pub', '.ssh/id_ed25519.pub', '.ssh/known_hosts', '.ssh/authorized_keys', '.ssh/config', 'x.env', 'env', 'keys.txt', '.aws/config', '.docker/daemon.json', 'credentials.json.md', 'src/npmrc.ts'])
      assert.equal(m(p), undefined, p);
  });

  test('folders are reported once, by the folder', () => {
    assert.equal(m('.git/config'), 'folder:.git');
    assert.equal(m('.git/objects/ab/cdef'), 'folder:.git');
    assert.equal(m('vendor/lib/.git/HEAD'), 'folder:vendor/lib/.git');
    assert.equal(m('secrets/prod.yaml'), 'folder:secrets');
    assert.equal(m('deploy/secrets/a/b'), 'folder:deploy/secrets');
    assert.equal(m('.gitignore'), undefined);
  });

  test('policy globs: a name at any depth, a path anchored with /', () => {
    assert.equal(m('data/app.sqlite'), 'file:data/app.sqlite');
    assert.equal(m('config/prod.yaml'), 'file:config/prod.yaml');
    assert.equal(m('svc/config/prod.yaml'), undefined);
  });

  test('literal COPY sources (no build context): names, folders, globs', () => {
    const l = (src: string) => {
      const h = s.matchLiteral(src);
      return h ? `${h.kind}:${h.path}` : undefined;
    };
    assert.equal(l('id_rsa'), 'file:id_rsa');
    assert.equal(l('./.npmrc'), 'file:.npmrc');
    assert.equal(l('/.env'), 'file:.env');
    assert.equal(l('.git'), 'folder:.git');
    assert.equal(l('.git/'), 'folder:.git');
    assert.equal(l('.ssh'), 'folder:.ssh');
    assert.equal(l('.aws/'), 'folder:.aws');
    assert.equal(l('certs/*.pem'), 'file:certs/*.pem');
    assert.equal(l('.'), undefined);
    assert.equal(l('src'), undefined);
    assert.equal(l('.env.example'), undefined);
  });
});
