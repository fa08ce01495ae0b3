"""Requests signed by botocore's SigV4Auth (Debian's python3-botocore), sent with http.client.

An independent client for the local API's signature checks. One process serves a whole suite
(Python and botocore take about 0.4 s to start): each line on stdin is a JSON job ({method,
url, body, headers, key, secret, token, region, service, skewSeconds, tamper, authorization}),
answered by one line of JSON on stdout: {status, headers, body}, or {error} if it failed.
"""
import datetime
import http.client
import json
import sys
import urllib.parse
from unittest import mock

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials


def call(job):
    body = job.get('body', '').encode('utf-8')
    request = AWSRequest(method=job['method'], url=job['url'], data=body, headers=job.get('headers', {}))
    signed = job.get('key') is not None
    if signed:
        signer = SigV4Auth(Credentials(job['key'], job['secret'], job.get('token')), job.get('service', 'execute-api'), job['region'])
        skew = job.get('skewSeconds', 0)
        if skew:
            real = datetime.datetime

            class Shifted(real):
                @classmethod
                def utcnow(cls):
                    return real.utcnow() + datetime.timedelta(seconds=skew)

            with mock.patch('botocore.auth.datetime.datetime', Shifted):
                signer.add_auth(request)
        else:
            signer.add_auth(request)

    headers = {k: v for k, v in request.headers.items()}
    tamper = job.get('tamper')
    if tamper == 'signature':
        auth = headers['Authorization']
        last = auth[-1]
        headers['Authorization'] = auth[:-1] + ('0' if last != '0' else '1')
    if tamper == 'body':
        body = body + b' '
    if job.get('authorization') is not None:
        headers['Authorization'] = job['authorization']

    url = urllib.parse.urlsplit(job['url'])
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    connection.request(job['method'], url.path + ('?' + url.query if url.query else ''), body=body if body else None, headers=headers)
    response = connection.getresponse()
    answer = {'status': response.status, 'headers': {k.lower(): v for k, v in response.getheaders()}, 'body': response.read().decode('utf-8')}
    connection.close()
    return answer


for line in sys.stdin:
    try:
        answer = call(json.loads(line))
    except Exception as error:  # reported to the test, which fails with it
        answer = {'error': f'{type(error).__name__}: {error}'}
    print(json.dumps(answer), flush=True)
