// Planted secrets of every kind in one Dockerfile, and a check that no 6-character piece of any of them
// (beyond the public prefix a mask may keep, such as `ghp_`) appears in a text. Shared by the leak tests of
// the engine, the CLI formats and the language server.

export interface Planted {
  /** The secret as written in the Dockerfile. */
  value: string;
  /** Characters at the start that a mask may show (`ghp_`, `AKIA`). */
  prefix: number;
}

export const SECRETS = {
  ghp: { value: 'ghp_D1B0tz6ntJQjLns6euyts16OLM0ZPSfc98mv', prefix: 4 },
  ghu: { value: 'ghu_ZhR8QZxex99KS9msmuex5TxTJdv4UhlkICZY', prefix: 4 },
  pat: { value: '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', prefix: 11 },
  glpat: { value: 'glpat-QRSdzY3acKfS2dZgvCYo', prefix: 6 },
  npm: { value: 'npm_moX98H7ZIeUVTj08VCc8TqL19KSXjS4wnoc7', prefix: 4 },
  slack: { value: 'xoxp-9518032047-9312650439729-81ATgZf39mnaRPIVRfB6lSHh', prefix: 5 },
  webhook: { value: 'https://hooks.slack.com/services/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', prefix: 33 },
  stripe: { value: 'sk_live_JKbD9RQaigvlcIWZKjLQPGVljDV0mNaA3I', prefix: 8 },
  google: { value: 'AIzaOpa43cxqgfoAP0MOUm8OVTWiRD2bNAvrJRz', prefix: 4 },
  akia: { value: 'AKIAQE6VAU44YNZVMIQF', prefix: 4 },
  awsSecret: { value: '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', prefix: 0 },
  keyLine1: { value: 'hwdnGmhD0XN1AJ4g7OSo7oK8/f4B17vlTUobNEpMWrvqS3HtX/iQLR+WXeXI+j2R', prefix: 0 },
  keyLine2: { value: 'DBLSvD7y0uFqmlFVL8Cl0mtFOYIo0tBNnpCi8Ey053EJ58QUyC7Hiu0WBdae31j0', prefix: 0 },
  urlPassword: { value: 'SAFExD41zOmu', prefix: 0 },
  urlToken: { value: 'Vq3kR8mZx2Lw', prefix: 0 },
  basic: { value: 'ZGVwbG95OnRZTE5sR2hCUGF4dzFi', prefix: 0 },
  bearer: { value: 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.jYdJOtxv3ebWXWc9NxUyPb9wVqMmp2UYJttAZUWr', prefix: 0 },
  envPassword: { value: 'Zq8wX2vB7nM4', prefix: 0 },
  envOldForm: { value: 'Wq4Lz9Xv2Nm7Kp3R', prefix: 0 },
  argDefault: { value: 'Tq8Zw2Lx5Vn9Bc4M', prefix: 0 },
  labelValue: { value: 'yZoROpMyQmJNmzQx', prefix: 0 },
  quotedSpaces: { value: 'Anlbm0 UgDIc NwE', prefix: 0 },
  heredocPassword: { value: '1Vie6D0AwHk7QbqD', prefix: 0 },
  cliFlag: { value: 'Pm5Kc8Rt2Wy7Hq4J', prefix: 0 },
  policyToken: { value: 'acme_019ni34oyeh9lhshr3ax8zyx3pr7vgfe', prefix: 0 },
} satisfies Record<string, Planted>;

export const S = Object.fromEntries(Object.entries(SECRETS).map(([k, v]) => [k, v.value])) as Record<keyof typeof SECRETS, string>;

export const DOCKERFILE = `# syntax=docker/dockerfile:1
ARG GLOBAL_API_TOKEN=${S.argDefault}
FROM node:20.11.1-alpine AS build
ARG NPM_TOKEN=${S.npm}
ENV DB_PASSWORD=${S.envPassword} STRIPE_SECRET_KEY=${S.stripe}
ENV SESSION_SECRET ${S.envOldForm}
ENV COOKIE_SECRET="${S.quotedSpaces}"
LABEL com.acme.deploy-token="${S.labelValue}"
WORKDIR /app
COPY .npmrc .env ./
RUN git clone https://${S.ghp}@github.com/acme/app.git \\
 && curl -H "PRIVATE-TOKEN: ${S.glpat}" https://gitlab.example.com/api/v4/projects \\
 && GH_TOKEN=${S.pat} gh release download v1 \\
 && curl -H "Authorization: Basic ${S.basic}" https://a.example.com \\
 && curl -H "Authorization: Bearer ${S.bearer}" https://b.example.com \\
 && git clone https://ci-bot:${S.urlPassword}@git.example.com/a.git \\
 && pip install --index-url https://__token__:${S.urlToken}@pypi.example.com/simple app \\
 && mysql --password ${S.cliFlag} -e 'select 1' \\
 && rm -f .npmrc .env
RUN <<EOF
set -e
aws configure set aws_access_key_id ${S.akia}
aws configure set aws_secret_access_key ${S.awsSecret}
export SLACK_TOKEN=${S.slack}
curl -d ok ${S.webhook}
echo "maps=${S.google}" > /etc/maps.conf
ACME=${S.policyToken} acme login
EOF
COPY <<EOF /root/.ssh/id_rsa
-----BEGIN RSA PRIVATE KEY-----
${S.keyLine1}
${S.keyLine2}
-----END RSA PRIVATE KEY-----
EOF
COPY <<EOF /root/.pypirc
[internal]
password = ${S.heredocPassword}
EOF
# plimsoll ignore=PL402 reason="suppressed findings are output too"
RUN echo ${S.ghu}
`;

export function leaks(text: string): string[] {
  const out: string[] = [];
  for (const [name, p] of Object.entries(SECRETS)) {
    const hidden = p.value.slice(p.prefix);
    for (let i = 0; i + 6 <= hidden.length; i++) {
      const piece = hidden.slice(i, i + 6);
      if (text.includes(piece)) {
        out.push(`${name}: ${piece}`);
        break;
      }
    }
  }
  return out;
}


/** The org pattern that makes `policyToken` a secret. */
export const POLICY_YAML = `secrets:\n  patterns:\n    - id: acme\n      description: ACME token\n      regex: 'acme_[a-z0-9]{32}'\n`;
