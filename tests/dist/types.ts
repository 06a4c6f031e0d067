// The installed package's declarations, as a TypeScript user compiles against them.
import { Paragon, NotFoundError, type RawResponse } from 'paragon-connect'
async function main(): Promise<void> {
  const paragon = new Paragon({ projectId: 'p', userToken: 't' })
  const file: RawResponse = await paragon.request('googledrive', '/files/x', { raw: true })
  try {
    await paragon.user('u').getUser()
  } catch (error) {
    if (error instanceof NotFoundError) console.log(error.status)
  }
  console.log(file.body.length)
}
void main
