import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** nginx as a plain reverse proxy to one upstream: the yardstick for the router (Debian's nginx, one worker like our one process). */
export async function startNginx(listenPort: number, route: string, upstream: string): Promise<ChildProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'tall-bench-nginx-'));
  writeFileSync(join(dir, 'nginx.conf'), `
worker_processes 1;
daemon off;
error_log ${dir}/error.log;
pid ${dir}/nginx.pid;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${dir}; proxy_temp_path ${dir}; fastcgi_temp_path ${dir}; uwsgi_temp_path ${dir}; scgi_temp_path ${dir};
  upstream backend { server ${upstream}; keepalive 64; }
  server {
    listen 127.0.0.1:${listenPort};
    location /${route}/ {
      proxy_pass http://backend/;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
`);
  const nginx = spawn('nginx', ['-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: 'ignore' });
  await new Promise((resolve) => setTimeout(resolve, 500));
  return nginx;
}
