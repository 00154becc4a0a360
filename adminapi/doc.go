// Package adminapi is the admin JSON API under /admin/api/v1 (ADM-2…ADM-4):
// clients, users, organisations and their policy, and the audit log.
//
// Every request is authorised first, in one place (authenticate): a Bearer
// access token of a client granted the scope lockstep:admin by client
// credentials (a platform administrator), or the browser's Lockstep session of a
// user who holds an administrator role and signed in at the console's minimum
// acr. Anything else gets 401 or 403 with a JSON error and no data. The
// principal then goes to admin.Service, which checks each call against the
// principal's role (an organisation administrator reaches only their
// organisation's users and policy; another organisation's user is 404) and
// audits every change with the principal as its actor.
//
// The routes are one table (routes); openapi.json describes them, and a test
// checks that the document and the table name the same operations. Handlers
// return a value or an error; writeError is the one place errors become JSON:
// bad input 400 with a message per field, unknown ids 404, conflicts 409.
package adminapi
