// The span attribute names Troupe writes are OpenTelemetry's semantic conventions: the messaging
// names (incubating, copied as OpenTelemetry advises) checked against the package itself.

import { suite } from '../../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import * as stable from '@opentelemetry/semantic-conventions';
import * as incubating from '@opentelemetry/semantic-conventions/incubating';
import * as A from '../../../runtime/observe/internal/attributes.ts';

const test = suite('span attribute names');

test('messaging names match @opentelemetry/semantic-conventions (incubating)', () => {
  assert.equal(
    [A.MESSAGING_SYSTEM, A.MESSAGING_OPERATION_TYPE, A.MESSAGING_OPERATION_NAME, A.MESSAGING_DESTINATION_NAME, A.MESSAGING_DESTINATION_PARTITION_ID,
      A.MESSAGING_CONSUMER_GROUP_NAME, A.MESSAGING_MESSAGE_ID, A.MESSAGING_MESSAGE_CONVERSATION_ID, A.MESSAGING_BATCH_MESSAGE_COUNT],
    [incubating.ATTR_MESSAGING_SYSTEM, incubating.ATTR_MESSAGING_OPERATION_TYPE, incubating.ATTR_MESSAGING_OPERATION_NAME, incubating.ATTR_MESSAGING_DESTINATION_NAME,
      incubating.ATTR_MESSAGING_DESTINATION_PARTITION_ID, incubating.ATTR_MESSAGING_CONSUMER_GROUP_NAME, incubating.ATTR_MESSAGING_MESSAGE_ID,
      incubating.ATTR_MESSAGING_MESSAGE_CONVERSATION_ID, incubating.ATTR_MESSAGING_BATCH_MESSAGE_COUNT],
  );
  assert.equal(['send', 'process'], [incubating.MESSAGING_OPERATION_TYPE_VALUE_SEND, incubating.MESSAGING_OPERATION_TYPE_VALUE_PROCESS]);
});

test('stable names match @opentelemetry/semantic-conventions', () => {
  assert.equal(
    [A.ERROR_TYPE, A.HTTP_REQUEST_METHOD, A.URL_PATH, A.URL_QUERY, A.USER_AGENT_ORIGINAL, A.HTTP_ROUTE],
    [stable.ATTR_ERROR_TYPE, stable.ATTR_HTTP_REQUEST_METHOD, stable.ATTR_URL_PATH, stable.ATTR_URL_QUERY, stable.ATTR_USER_AGENT_ORIGINAL, stable.ATTR_HTTP_ROUTE],
  );
});

test('Troupe’s own attributes are namespaced troupe.*', () => {
  for (const [k, v] of Object.entries(A)) if (!k.startsWith('MESSAGING_') && !['TROUPE', 'ERROR_TYPE', 'HTTP_REQUEST_METHOD', 'URL_PATH', 'URL_QUERY', 'USER_AGENT_ORIGINAL', 'HTTP_ROUTE'].includes(k)) assert.match(v, /^troupe\./, k);
});

test.run();
